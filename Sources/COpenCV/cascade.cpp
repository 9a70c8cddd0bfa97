#include "COpenCV.h"
#include <opencv2/objdetect.hpp>

struct cocv_cascade { cv::CascadeClassifier classifier; };

extern "C" cocv_cascade *cocv_cascade_load(const char *path) {
    auto *c = new cocv_cascade();
    try {
        if (!c->classifier.load(path) || c->classifier.empty()) { delete c; return nullptr; }
    } catch (...) { delete c; return nullptr; }
    return c;
}

extern "C" void cocv_cascade_free(cocv_cascade *cascade) { delete cascade; }
