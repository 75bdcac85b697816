/* libFuzzer: a YAML config through the loader (parsing, every key's type
 * and range, the model, policy and notification sections).  It must load
 * or be refused with a message, never crash or leak. */
#include <stdint.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        log_min_level = LOG_LVL_ERROR + 1; /* silent */
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char errstr[512];
        config_t *conf = config_load_string((const char *)data, size,
                                            "fuzz.yaml", errstr, sizeof(errstr));
        config_destroy(conf);
        return 0;
}
