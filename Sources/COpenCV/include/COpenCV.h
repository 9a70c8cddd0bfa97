// A C API over the few OpenCV calls emotiond needs (OpenCV 4 is C++ only).
//
// Every function catches all C++ exceptions and reports them as a negative COCV_ERR_* code, so
// no exception ever crosses into Swift. Buffers are owned by the caller; OpenCV never keeps them.
#ifndef COPENCV_H
#define COPENCV_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Result codes. Non-negative values are successes (a count where the function says so).
enum {
    COCV_OK = 0,
    /// A pointer was NULL, a size was not positive, or a buffer was too small.
    COCV_ERR_ARGUMENT = -1,
    /// OpenCV raised a cv::Exception (message is lost on purpose: the arguments were checked first).
    COCV_ERR_OPENCV = -2,
    /// Any other C++ exception, e.g. std::bad_alloc.
    COCV_ERR_UNKNOWN = -3,
};

/// Interpolation modes for cocv_crop_resize (values are not OpenCV's, they are mapped inside).
enum {
    /// INTER_AREA when the crop shrinks on both axes, INTER_LINEAR otherwise.
    COCV_INTERP_AUTO = 0,
    /// cv::INTER_LINEAR, the bilinear resize fer and most Python pipelines use.
    COCV_INTERP_LINEAR = 1,
    /// cv::INTER_AREA, pixel-area averaging: the alias-free choice for downscaling.
    COCV_INTERP_AREA = 2,
};

/// An axis-aligned box in pixels (top-left corner and size).
typedef struct cocv_rect {
    int32_t x;
    int32_t y;
    int32_t width;
    int32_t height;
} cocv_rect;

/// Opaque handle to a loaded cv::CascadeClassifier. Not safe for concurrent detection calls:
/// OpenCV keeps per-call scratch state inside the classifier.
typedef struct cocv_cascade cocv_cascade;

/// Loads a Haar cascade XML file. Returns NULL if the file is missing or not a cascade.
cocv_cascade *cocv_cascade_load(const char *path);
void cocv_cascade_free(cocv_cascade *cascade);

/// Runs cv::CascadeClassifier::detectMultiScale on an 8-bit grayscale image.
///
/// - gray/width/height/stride: the image, `stride` bytes per row (>= width).
/// - scale_factor: image pyramid step (> 1, e.g. 1.1; larger is faster and coarser).
/// - min_neighbors: how many overlapping raw detections a face needs (e.g. 5; higher = fewer
///   false positives).
/// - min_size / max_size: smallest / largest face side in pixels; 0 means no limit.
/// - equalize: non-zero runs cv::equalizeHist first (helps dark or low-contrast frames).
/// - out/capacity: caller buffer for the boxes.
/// Returns the number of faces found (boxes beyond `capacity` are dropped, the count is still
/// the total), or a negative COCV_ERR_* code.
int32_t cocv_detect_faces(cocv_cascade *cascade, const uint8_t *gray, int32_t width,
                          int32_t height, int32_t stride, double scale_factor,
                          int32_t min_neighbors, int32_t min_size, int32_t max_size,
                          int32_t equalize, cocv_rect *out, int32_t capacity);

/// Crops `region` from an 8-bit image with `channels` interleaved channels (1 or 3) and resizes it
/// to dst_width x dst_height into `dst` (tightly packed, dst_width * channels bytes per row).
/// The region may extend beyond the image: the outside is filled with zeros (black), the way
/// fer pads frames before cropping. Returns COCV_OK or a negative COCV_ERR_* code.
int32_t cocv_crop_resize(const uint8_t *src, int32_t width, int32_t height, int32_t stride,
                         int32_t channels, cocv_rect region, uint8_t *dst, int32_t dst_width,
                         int32_t dst_height, int32_t interpolation);

/// Converts packed RGB24 (stride bytes per row) to 8-bit gray with the BT.601 weights
/// 0.299 R + 0.587 G + 0.114 B (cv::COLOR_RGB2GRAY). `gray` is tightly packed (width bytes per
/// row). Returns COCV_OK or a negative COCV_ERR_* code.
int32_t cocv_rgb_to_gray(const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
                         uint8_t *gray);

/// Sets the size of OpenCV's internal thread pool (cv::setNumThreads). emotiond runs one worker
/// per core, so 1 avoids oversubscribing; a value < 0 restores OpenCV's default.
void cocv_set_num_threads(int32_t threads);

#ifdef __cplusplus
}
#endif
#endif
