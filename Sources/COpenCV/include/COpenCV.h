// A C API over the few OpenCV calls emotiond needs (OpenCV 4 is C++ only).
#ifndef COPENCV_H
#define COPENCV_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Opaque handle to a loaded cv::CascadeClassifier.
typedef struct cocv_cascade cocv_cascade;

/// Loads a Haar cascade XML file. Returns NULL if the file is missing or not a cascade.
cocv_cascade *cocv_cascade_load(const char *path);
void cocv_cascade_free(cocv_cascade *cascade);

#ifdef __cplusplus
}
#endif
#endif
