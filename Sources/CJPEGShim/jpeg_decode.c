// See include/jpeg_decode.h: the setjmp/longjmp guard libjpeg's error handling needs.
#include "jpeg_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    int saw_eof;
    int too_many_scans;
} guarded_error_mgr;

/* The progress monitor that bounds the scans of a progressive file (djpeg's -maxscans). */
typedef struct {
    struct jpeg_progress_mgr base;
    int max_scans;
} scan_limit_mgr;

static void scan_limit_monitor(j_common_ptr cinfo) {
    scan_limit_mgr *progress = (scan_limit_mgr *)cinfo->progress;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (cinfo->is_decompressor && d->progressive_mode && d->input_scan_number > progress->max_scans) {
        guarded_error_mgr *err = (guarded_error_mgr *)cinfo->err;
        err->too_many_scans = 1;
        longjmp(err->escape, 1);
    }
}

static void guarded_error_exit(j_common_ptr cinfo) {
    guarded_error_mgr *err = (guarded_error_mgr *)cinfo->err;
    longjmp(err->escape, 1);
}

static void guarded_emit_message(j_common_ptr cinfo, int level) {
    guarded_error_mgr *err = (guarded_error_mgr *)cinfo->err;
    if (level < 0) {
        err->base.num_warnings++;
        if (err->base.msg_code == JWRN_JPEG_EOF) err->saw_eof = 1;
    }
}

void reclip_jpeg_free(unsigned char *pixels) { free(pixels); }

int reclip_jpeg_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                       int max_scans, int scale_denom, reclip_jpeg_result *out) {
    struct jpeg_decompress_struct cinfo;
    guarded_error_mgr err;
    scan_limit_mgr progress;
    /* volatile: these change between setjmp and a possible longjmp. */
    unsigned char *volatile pixels = NULL;
    volatile int status = RECLIP_JPEG_OK;

    memset(out, 0, sizeof(*out));
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = guarded_error_exit;
    err.base.emit_message = guarded_emit_message;
    err.saw_eof = 0;
    err.too_many_scans = 0;

    if (setjmp(err.escape)) {
        if (err.too_many_scans) {
            snprintf(out->message, sizeof(out->message), "a progressive JPEG with more than %d scans", max_scans);
            free(pixels);
            out->pixels = NULL;
            jpeg_destroy_decompress(&cinfo);
            return RECLIP_JPEG_TOO_MANY_SCANS;
        }
        (*cinfo.err->format_message)((j_common_ptr)&cinfo, out->message);
        free(pixels);
        out->pixels = NULL;
        jpeg_destroy_decompress(&cinfo);
        return status == RECLIP_JPEG_OK ? RECLIP_JPEG_CORRUPT : status;
    }

    jpeg_create_decompress(&cinfo);
    memset(&progress, 0, sizeof(progress));
    progress.base.progress_monitor = scan_limit_monitor;
    progress.max_scans = max_scans;
    cinfo.progress = &progress.base;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    unsigned long long pixel_count =
        (unsigned long long)cinfo.image_width * (unsigned long long)cinfo.image_height;
    if (cinfo.image_width == 0 || cinfo.image_height == 0 || pixel_count > max_pixels) {
        snprintf(out->message, sizeof(out->message), "%ux%u pixels is over the limit of %llu",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return RECLIP_JPEG_TOO_LARGE;
    }

    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) ? (unsigned)scale_denom : 1;
    jpeg_start_decompress(&cinfo);

    int components = cinfo.output_components;
    size_t stride = (size_t)cinfo.output_width * (size_t)components;
    pixels = malloc(stride * cinfo.output_height);
    if (pixels == NULL) {
        snprintf(out->message, sizeof(out->message), "out of memory for %ux%u pixels",
                 cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return RECLIP_JPEG_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    if (err.saw_eof) {
        snprintf(out->message, sizeof(out->message), "the file ends before the image does");
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        return RECLIP_JPEG_TRUNCATED;
    }
    jpeg_finish_decompress(&cinfo);

    out->pixels = pixels;
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->components = components;
    out->adobe_inverted = cinfo.saw_Adobe_marker ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return RECLIP_JPEG_OK;
}
