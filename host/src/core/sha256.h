/* SHA-256 (FIPS 180-4), small and dependency-free: used by `fnrt doctor` to check the
 * `data_sha256` metadata the converter records (hex sha256 of the whole data area). */
#ifndef FNRT_CORE_SHA256_H
#define FNRT_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-status.h"

typedef struct fnrt_sha256 {
    uint32_t h[8];
    uint64_t n_bytes;
    uint8_t block[64];
    size_t n_block;
} fnrt_sha256;

void fnrt_sha256_init(fnrt_sha256 *c);
void fnrt_sha256_update(fnrt_sha256 *c, const void *data, size_t n_bytes);
void fnrt_sha256_final(fnrt_sha256 *c, uint8_t digest[32]);
/* One-shot, lower-case hex into hex[65]. */
void fnrt_sha256_hex(const void *data, size_t n_bytes, char hex[65]);

/* Hex sha256 of a safetensors file's data area (everything after the 8-byte length and
 * the JSON header), read in chunks.  FNRT_ERR_IO / FNRT_ERR_FORMAT with a message. */
fnrt_status fnrt_safetensors_file_sha256(const char *path, char hex[65], uint64_t *data_bytes);

#endif
