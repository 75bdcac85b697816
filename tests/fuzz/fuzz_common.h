/* What the decoder targets share: the shipped config and a codec built
 * from it, made once per process by libFuzzer's initialize hook. */
#ifndef IMPACTD_FUZZ_COMMON_H
#define IMPACTD_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "codec.h"
#include "config.h"
#include "log.h"

static config_t *fuzz_conf;
static codec_t *fuzz_codec;

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* IMPACTD_SOURCE_DIR is defined by tests/fuzz/CMakeLists.txt. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char errstr[512];
        (void)argc;
        (void)argv;
        log_min_level = LOG_LVL_ERROR + 1; /* silent */
        fuzz_conf = config_load(IMPACTD_SOURCE_DIR "/config/impactd.yaml",
                                errstr, sizeof(errstr));
        if (!fuzz_conf || !(fuzz_codec = codec_new(fuzz_conf, errstr,
                                                   sizeof(errstr)))) {
                fprintf(stderr, "fuzz setup: %s\n", errstr);
                exit(1);
        }
        return 0;
}

#endif
