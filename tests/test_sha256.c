/* SHA-256 (core/sha256.c) against the FIPS 180-4 / NIST example vectors, chunked updates,
 * and the data-area checksum of the test model against the converter's data_sha256. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "io/safetensors.h"

START_TEST(test_vectors)
{
    char hex[65];
    fnrt_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    fnrt_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    fnrt_sha256_hex(m, strlen(m), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(test_million_a_chunked)
{
    /* one million 'a', fed in uneven pieces */
    static char buf[1000];
    memset(buf, 'a', sizeof buf);
    fnrt_sha256 c;
    uint8_t d[32];
    fnrt_sha256_init(&c);
    size_t left = 1000000, piece = 1;
    while (left) {
        size_t n = piece < left ? piece : left;
        n = n < sizeof buf ? n : sizeof buf;
        fnrt_sha256_update(&c, buf, n);
        left -= n;
        piece = piece * 7 % 997 + 1;
    }
    fnrt_sha256_final(&c, d);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_model_checksum)
{
    const char *data = getenv("FNRT_TEST_DATA");
    ck_assert_ptr_nonnull(data);
    char path[1024], hex[65];
    snprintf(path, sizeof path, "%s/fnr2r-tiny.safetensors", data);
    uint64_t n_bytes = 0;
    ck_assert_int_eq(fnrt_safetensors_file_sha256(path, hex, &n_bytes), FNRT_OK);
    ck_assert(n_bytes > 0);
    fnrt_safetensors *st = NULL;
    ck_assert_int_eq(fnrt_safetensors_open(path, NULL, &st), FNRT_OK);
    const char *want = fnrt_safetensors_meta(st, "data_sha256");
    ck_assert_ptr_nonnull(want);
    ck_assert_str_eq(hex, want);
    fnrt_safetensors_close(st);
    ck_assert_int_eq(fnrt_safetensors_file_sha256("/nonexistent/x.safetensors", hex, &n_bytes),
                     FNRT_ERR_IO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_million_a_chunked);
    tcase_add_test(tc, test_model_checksum);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int n_failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n_failed ? 1 : 0;
}
