// SHA-256 through OpenSSL's libcrypto (Debian: libssl-dev), behind a state of plain bytes so
// that Swift copies it as a value (SHA256_CTX holds no pointers).
#ifndef RECLIP_SHA256_SHIM_H
#define RECLIP_SHA256_SHIM_H
#include <stddef.h>

/// Storage for one SHA256_CTX (checked against its size when compiled).
typedef struct { unsigned long long words[16]; } reclip_sha256_state;

void reclip_sha256_init(reclip_sha256_state *state);
void reclip_sha256_update(reclip_sha256_state *state, const void *bytes, size_t count);
/// Writes the 32-byte digest; the state is finished afterwards.
void reclip_sha256_final(reclip_sha256_state *state, unsigned char digest[32]);
#endif
