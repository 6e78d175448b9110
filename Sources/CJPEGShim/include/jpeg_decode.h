// A setjmp-guarded JPEG decoder around libjpeg-turbo.
//
// libjpeg reports fatal errors by calling `error_exit`, which must not return. Swift cannot
// longjmp across its frames, so the one place that needs setjmp/longjmp lives here in C and
// hands Swift a plain status code, the message, and a malloc'd pixel buffer.
#ifndef RECLIP_JPEG_DECODE_H
#define RECLIP_JPEG_DECODE_H

#include <stddef.h>

/// What one decode produced. `pixels` is malloc'd (free with `reclip_jpeg_free`).
typedef struct {
    unsigned char *pixels;   /* width * height * components bytes, row-major */
    int width;
    int height;
    int components;          /* 1 grey, 3 RGB, 4 CMYK (as stored; see `adobe_inverted`) */
    int adobe_inverted;      /* 1 when CMYK samples are stored inverted (Adobe APP14) */
    char message[200];       /* the problem, when the status is not 0 */
} reclip_jpeg_result;

/// Status codes of `reclip_jpeg_decode`.
enum {
    RECLIP_JPEG_OK = 0,
    RECLIP_JPEG_CORRUPT = 1,     /* libjpeg refused the data; `message` says why */
    RECLIP_JPEG_TOO_LARGE = 2,   /* header dimensions over `max_pixels`; nothing allocated */
    RECLIP_JPEG_TRUNCATED = 3,   /* data ended before the image did */
    RECLIP_JPEG_NO_MEMORY = 4,
    RECLIP_JPEG_TOO_MANY_SCANS = 5  /* a progressive file with more scans than `max_scans` */
};

/// Decodes a whole JPEG held in memory, reduced by `scale_denom` (1, 2, 4 or 8: libjpeg
/// scales in the DCT, far cheaper than decoding in full). Greyscale stays one component,
/// YCbCr becomes RGB, CMYK and YCCK become four CMYK components. The header is read and
/// `max_pixels` checked before the pixel buffer is allocated. A progressive file is stopped at
/// its scan number `max_scans + 1` (as libjpeg-turbo's `djpeg -maxscans`): each scan re-decodes
/// the whole image, so a small file of thousands of scans could otherwise run for minutes.
int reclip_jpeg_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                       int max_scans, int scale_denom, reclip_jpeg_result *out);

/// Frees a pixel buffer returned in `reclip_jpeg_result`.
void reclip_jpeg_free(unsigned char *pixels);

#endif
