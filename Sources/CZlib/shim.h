// zlib (Debian: zlib1g-dev), for the gzipped BPE vocabulary and PNG-free inflate.
#include <zlib.h>
