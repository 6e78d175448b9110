// The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, whose context is
// a heap object; this state must be copyable bytes, so the plain context is used on purpose.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include "sha256_shim.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(reclip_sha256_state), "SHA256_CTX does not fit its storage");

void reclip_sha256_init(reclip_sha256_state *state) { SHA256_Init((SHA256_CTX *)state); }

void reclip_sha256_update(reclip_sha256_state *state, const void *bytes, size_t count) {
    SHA256_Update((SHA256_CTX *)state, bytes, count);
}

void reclip_sha256_final(reclip_sha256_state *state, unsigned char digest[32]) {
    SHA256_Final(digest, (SHA256_CTX *)state);
}
