/* SHA-256 (FIPS 180-4). */
#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t rotr(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void compress(fnrt_sha256 *c, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5],
             g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] +
                      w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
    c->h[5] += f;
    c->h[6] += g;
    c->h[7] += h;
}

void fnrt_sha256_init(fnrt_sha256 *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->n_bytes = 0;
    c->n_block = 0;
}

void fnrt_sha256_update(fnrt_sha256 *c, const void *data, size_t n_bytes)
{
    const uint8_t *p = data;
    c->n_bytes += n_bytes;
    while (n_bytes > 0) {
        if (c->n_block == 0 && n_bytes >= 64) {
            compress(c, p);
            p += 64;
            n_bytes -= 64;
            continue;
        }
        size_t take = 64 - c->n_block < n_bytes ? 64 - c->n_block : n_bytes;
        memcpy(c->block + c->n_block, p, take);
        c->n_block += take;
        p += take;
        n_bytes -= take;
        if (c->n_block == 64) {
            compress(c, c->block);
            c->n_block = 0;
        }
    }
}

void fnrt_sha256_final(fnrt_sha256 *c, uint8_t digest[32])
{
    uint64_t n_bits = c->n_bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t n_pad = (c->n_block < 56 ? 56 : 120) - c->n_block;
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(n_bits >> (56 - 8 * i));
    fnrt_sha256_update(c, pad, n_pad);
    fnrt_sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(c->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->h[i];
    }
}

static void to_hex(const uint8_t d[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

void fnrt_sha256_hex(const void *data, size_t n_bytes, char hex[65])
{
    fnrt_sha256 c;
    uint8_t d[32];
    fnrt_sha256_init(&c);
    fnrt_sha256_update(&c, data, n_bytes);
    fnrt_sha256_final(&c, d);
    to_hex(d, hex);
}

fnrt_status fnrt_safetensors_file_sha256(const char *path, char hex[65], uint64_t *data_bytes)
{
    fnrt_status st = FNRT_OK;
    uint8_t *buf = NULL;
    hex[0] = '\0';
    *data_bytes = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fnrt_error(FNRT_ERR_IO, "cannot open %s", path);
    uint8_t len8[8];
    if (fread(len8, 1, 8, fp) != 8) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s: shorter than a safetensors header", path);
        goto done;
    }
    uint64_t n_header = 0;
    for (int i = 7; i >= 0; i--)
        n_header = n_header << 8 | len8[i];
    if (n_header > ((uint64_t)1 << 40) || fseeko(fp, (off_t)(8 + n_header), SEEK_SET) != 0) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s: header length %llu out of range", path,
                        (unsigned long long)n_header);
        goto done;
    }
    const size_t chunk = 1 << 20;
    if (!(buf = malloc(chunk))) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    fnrt_sha256 c;
    fnrt_sha256_init(&c);
    size_t n;
    while ((n = fread(buf, 1, chunk, fp)) > 0) {
        fnrt_sha256_update(&c, buf, n);
        *data_bytes += n;
    }
    if (ferror(fp)) {
        st = fnrt_error(FNRT_ERR_IO, "%s: read error", path);
        goto done;
    }
    uint8_t d[32];
    fnrt_sha256_final(&c, d);
    to_hex(d, hex);
done:
    free(buf);
    fclose(fp);
    return st;
}
