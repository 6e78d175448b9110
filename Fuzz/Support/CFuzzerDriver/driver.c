// Nothing to compile: the target only carries the declaration of LLVMFuzzerRunDriver, which
// the libFuzzer runtime linked by -sanitize=fuzzer defines.
#include "fuzzer_driver.h"
