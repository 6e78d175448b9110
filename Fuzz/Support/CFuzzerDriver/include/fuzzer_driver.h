#ifndef RECLIP_FUZZER_DRIVER_H
#define RECLIP_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs with their own main (LLVM 11 and later): parses the
/// usual libFuzzer flags from argv and runs `callback` on each input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
