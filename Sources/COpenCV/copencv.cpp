#include "COpenCV.h"
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <algorithm>
#include <vector>

struct cocv_cascade { cv::CascadeClassifier classifier; };

extern "C" cocv_cascade *cocv_cascade_load(const char *path) {
    if (path == nullptr) return nullptr;
    cocv_cascade *c = nullptr;
    try {
        c = new cocv_cascade();
        if (!c->classifier.load(path) || c->classifier.empty()) { delete c; return nullptr; }
    } catch (...) { delete c; return nullptr; }
    return c;
}

extern "C" void cocv_cascade_free(cocv_cascade *cascade) { delete cascade; }

extern "C" int32_t cocv_detect_faces(cocv_cascade *cascade, const uint8_t *gray, int32_t width,
                                     int32_t height, int32_t stride, double scale_factor,
                                     int32_t min_neighbors, int32_t min_size, int32_t max_size,
                                     int32_t equalize, cocv_rect *out, int32_t capacity) {
    if (cascade == nullptr || gray == nullptr || width <= 0 || height <= 0 || stride < width ||
        !(scale_factor > 1.0) || min_neighbors < 0 || min_size < 0 || max_size < 0 ||
        capacity < 0 || (capacity > 0 && out == nullptr)) {
        return COCV_ERR_ARGUMENT;
    }
    try {
        // A header over the caller's bytes: no copy. detectMultiScale only reads it.
        const cv::Mat image(height, width, CV_8UC1, const_cast<uint8_t *>(gray), (size_t)stride);
        cv::Mat input;  // equalised copy, never written into the caller's (const) bytes
        if (equalize) cv::equalizeHist(image, input); else input = image;
        std::vector<cv::Rect> faces;
        cascade->classifier.detectMultiScale(input, faces, scale_factor, min_neighbors, 0,
                                             cv::Size(min_size, min_size),
                                             cv::Size(max_size, max_size));
        const int32_t n = (int32_t)std::min<size_t>(faces.size(), (size_t)capacity);
        for (int32_t i = 0; i < n; ++i) {
            out[i] = cocv_rect{faces[i].x, faces[i].y, faces[i].width, faces[i].height};
        }
        return (int32_t)faces.size();
    } catch (const cv::Exception &) {
        return COCV_ERR_OPENCV;
    } catch (...) {
        return COCV_ERR_UNKNOWN;
    }
}

extern "C" int32_t cocv_crop_resize(const uint8_t *src, int32_t width, int32_t height,
                                    int32_t stride, int32_t channels, cocv_rect region,
                                    uint8_t *dst, int32_t dst_width, int32_t dst_height,
                                    int32_t interpolation) {
    if (src == nullptr || dst == nullptr || width <= 0 || height <= 0 ||
        (channels != 1 && channels != 3) || stride < width * channels || region.width <= 0 ||
        region.height <= 0 || dst_width <= 0 || dst_height <= 0 ||
        interpolation < COCV_INTERP_AUTO || interpolation > COCV_INTERP_AREA) {
        return COCV_ERR_ARGUMENT;
    }
    try {
        const int type = channels == 1 ? CV_8UC1 : CV_8UC3;
        const cv::Mat image(height, width, type, const_cast<uint8_t *>(src), (size_t)stride);
        const cv::Rect wanted(region.x, region.y, region.width, region.height);
        const cv::Rect inside = wanted & cv::Rect(0, 0, width, height);
        cv::Mat crop;
        if (inside == wanted) {
            crop = image(wanted);
        } else {
            // Part (or all) of the box lies outside the frame: pad with black, like fer does.
            crop = cv::Mat::zeros(region.height, region.width, type);
            if (inside.area() > 0) {
                image(inside).copyTo(crop(cv::Rect(inside.x - wanted.x, inside.y - wanted.y,
                                                   inside.width, inside.height)));
            }
        }
        int mode = cv::INTER_LINEAR;
        if (interpolation == COCV_INTERP_AREA ||
            (interpolation == COCV_INTERP_AUTO && dst_width <= region.width &&
             dst_height <= region.height)) {
            mode = cv::INTER_AREA;
        }
        cv::Mat output(dst_height, dst_width, type, dst);
        cv::resize(crop, output, output.size(), 0, 0, mode);
        // cv::resize reallocates only if the size/type were wrong, which they are not; guard anyway.
        if (output.data != dst) return COCV_ERR_OPENCV;
        return COCV_OK;
    } catch (const cv::Exception &) {
        return COCV_ERR_OPENCV;
    } catch (...) {
        return COCV_ERR_UNKNOWN;
    }
}

extern "C" int32_t cocv_rgb_to_gray(const uint8_t *rgb, int32_t width, int32_t height,
                                    int32_t stride, uint8_t *gray) {
    if (rgb == nullptr || gray == nullptr || width <= 0 || height <= 0 || stride < width * 3) {
        return COCV_ERR_ARGUMENT;
    }
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), (size_t)stride);
        cv::Mat output(height, width, CV_8UC1, gray);
        cv::cvtColor(image, output, cv::COLOR_RGB2GRAY);
        if (output.data != gray) return COCV_ERR_OPENCV;
        return COCV_OK;
    } catch (const cv::Exception &) {
        return COCV_ERR_OPENCV;
    } catch (...) {
        return COCV_ERR_UNKNOWN;
    }
}

extern "C" void cocv_set_num_threads(int32_t threads) {
    try { cv::setNumThreads(threads); } catch (...) {}
}
