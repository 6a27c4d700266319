/* Atomic output files: commit, no overwrite without force, abort, the signal-safe cleanup,
 * file modes from the umask, and clean failures for folders that cannot take the file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/outfile.h"
#include "test-util.h"

/* Number of entries in dir other than . and ..; the first name goes to first (if given). */
static int dir_count(const char *dir, char *first, size_t n_first)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == 0 && first)
            snprintf(first, n_first, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    size_t n;
    char *buf = test_read_file(path, &n);
    if (!buf)
        return NULL;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, buf, n);
    s[n] = '\0';
    free(buf);
    return s;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void assert_content(const char *path, const char *want)
{
    char *got = slurp(path);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_commit_creates)
{
    char *path = test_tmp_path("out.txt");
    fnrt_outfile of;
    ck_assert_msg(fnrt_outfile_open(&of, path, 0) == FNRT_OK, "%s", fnrt_last_error());

    /* while open: only the temporary ".out.txt.XXXXXX.tmp" exists, not the target */
    char name[256];
    ck_assert_int_eq(dir_count(test_tmp, name, sizeof name), 1);
    ck_assert_int_eq(strncmp(name, ".out.txt.", 9), 0);
    ck_assert_uint_eq(strlen(name), strlen(".out.txt.XXXXXX.tmp"));
    ck_assert_str_eq(name + strlen(name) - 4, ".tmp");
    ck_assert_int_ne(access(path, F_OK), 0);

    fprintf(of.fp, "hello %d\n", 42);
    ck_assert_msg(fnrt_outfile_commit(&of) == FNRT_OK, "%s", fnrt_last_error());
    assert_content(path, "hello 42\n");
    ck_assert_int_eq(dir_count(test_tmp, name, sizeof name), 1);
    ck_assert_str_eq(name, "out.txt");
    ck_assert_ptr_null(of.fp);
    fnrt_outfile_abort(&of); /* safe after commit */
    assert_content(path, "hello 42\n");
    free(path);
}
END_TEST

START_TEST(test_mode_follows_umask)
{
    const mode_t masks[] = {022, 077, 002};
    for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "m%zu", k);
        char *path = test_tmp_path(name);
        mode_t old = umask(masks[k]);
        fnrt_outfile of;
        ck_assert_int_eq(fnrt_outfile_open(&of, path, 0), FNRT_OK);
        fputs("x", of.fp);
        ck_assert_int_eq(fnrt_outfile_commit(&of), FNRT_OK);
        umask(old);
        struct stat sb;
        ck_assert_int_eq(stat(path, &sb), 0);
        ck_assert_int_eq(sb.st_mode & 0777, 0666 & ~masks[k]);
        free(path);
    }
}
END_TEST

START_TEST(test_no_overwrite_without_force)
{
    char *path = test_tmp_path("keep.txt");
    put(path, "old");
    fnrt_outfile of;
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_outfile_open(&of, path, 0), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), path));
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "exists"));
    ck_assert_ptr_null(of.fp);
    fnrt_outfile_abort(&of); /* safe on a failed open */
    assert_content(path, "old");
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 1);

    ck_assert_int_eq(fnrt_outfile_open(&of, path, 1), FNRT_OK);
    fputs("new", of.fp);
    ck_assert_msg(fnrt_outfile_commit(&of) == FNRT_OK, "%s", fnrt_last_error());
    assert_content(path, "new");
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 1);
    free(path);
}
END_TEST

START_TEST(test_target_appears_meanwhile)
{
    char *path = test_tmp_path("race.txt");
    fnrt_outfile of;
    ck_assert_int_eq(fnrt_outfile_open(&of, path, 0), FNRT_OK);
    fputs("mine", of.fp);
    put(path, "theirs"); /* someone else created it while we wrote */
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_outfile_commit(&of), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "exists"));
    assert_content(path, "theirs");
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 1); /* temporary removed */
    fnrt_outfile_abort(&of);
    free(path);
}
END_TEST

START_TEST(test_abort_leaves_nothing)
{
    char *path = test_tmp_path("gone.bin");
    fnrt_outfile of;
    ck_assert_int_eq(fnrt_outfile_open(&of, path, 0), FNRT_OK);
    for (int i = 0; i < 10000; i++)
        fputc(i & 0xff, of.fp);
    fnrt_outfile_abort(&of);
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 0);
    fnrt_outfile_abort(&of); /* twice is fine */
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 0);

    /* abort with force over an existing file leaves that file alone */
    put(path, "old");
    ck_assert_int_eq(fnrt_outfile_open(&of, path, 1), FNRT_OK);
    fputs("new", of.fp);
    fnrt_outfile_abort(&of);
    assert_content(path, "old");
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 1);
    free(path);
}
END_TEST

START_TEST(test_bad_folders)
{
    fnrt_outfile of;
    char *missing = test_tmp_path("no/such/dir/f.txt");
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_outfile_open(&of, missing, 0), FNRT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), missing));
    ck_assert_ptr_null(of.fp);
    ck_assert_ptr_null(of.tmp_path);

    char *file = test_tmp_path("plain");
    put(file, "x");
    char *under_file = test_tmp_path("plain/f.txt"); /* a "folder" that is a regular file */
    fnrt_error_clear();
    ck_assert_int_eq(fnrt_outfile_open(&of, under_file, 1), FNRT_ERR_IO);
    ck_assert_str_ne(fnrt_last_error(), "");

    char *isdir = test_tmp_path("sub");
    ck_assert_int_eq(mkdir(isdir, 0755), 0);
    ck_assert_int_eq(fnrt_outfile_open(&of, isdir, 1), FNRT_ERR_IO);
    char *slash = test_tmp_path("sub/");
    ck_assert_int_eq(fnrt_outfile_open(&of, slash, 1), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_outfile_open(&of, "", 1), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_outfile_open(NULL, "x", 1), FNRT_ERR_INVALID_ARG);
    ck_assert_int_eq(fnrt_outfile_commit(&of), FNRT_ERR_INVALID_ARG);

    /* read-only folder (root ignores permissions, so only checked for other users) */
    if (geteuid() != 0) {
        ck_assert_int_eq(chmod(isdir, 0555), 0);
        char *ro = test_tmp_path("sub/f.txt");
        fnrt_error_clear();
        ck_assert_int_eq(fnrt_outfile_open(&of, ro, 0), FNRT_ERR_IO);
        ck_assert_ptr_nonnull(strstr(fnrt_last_error(), ro));
        free(ro);
    }
    char name[256];
    ck_assert_int_eq(dir_count(isdir, name, sizeof name), 0);
    free(missing);
    free(file);
    free(under_file);
    free(isdir);
    free(slash);
}
END_TEST

START_TEST(test_relative_path)
{
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(test_tmp), 0);
    fnrt_outfile of;
    ck_assert_int_eq(fnrt_outfile_open(&of, "rel.txt", 0), FNRT_OK);
    fputs("rel", of.fp);
    ck_assert_int_eq(fnrt_outfile_commit(&of), FNRT_OK);
    assert_content("rel.txt", "rel");
    ck_assert_int_eq(dir_count(".", NULL, 0), 1);
    ck_assert_int_eq(chdir(cwd), 0); /* matters with CK_FORK=no */
}
END_TEST

START_TEST(test_abort_all_signal_safe)
{
    char *a = test_tmp_path("a.txt"), *b = test_tmp_path("b.txt");
    fnrt_outfile oa, ob;
    ck_assert_int_eq(fnrt_outfile_open(&oa, a, 0), FNRT_OK);
    ck_assert_int_eq(fnrt_outfile_open(&ob, b, 0), FNRT_OK);
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 2);
    fnrt_outfile_abort_all_signal_safe();
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 0);
    fnrt_outfile_abort(&oa);
    fnrt_outfile_abort(&ob);
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 0);

    /* a committed file is not touched by a later abort_all */
    ck_assert_int_eq(fnrt_outfile_open(&oa, a, 0), FNRT_OK);
    fputs("kept", oa.fp);
    ck_assert_int_eq(fnrt_outfile_commit(&oa), FNRT_OK);
    fnrt_outfile_abort_all_signal_safe();
    assert_content(a, "kept");
    free(a);
    free(b);
}
END_TEST

static void on_term(int sig)
{
    (void)sig;
    fnrt_outfile_abort_all_signal_safe();
    _exit(3);
}

/* A real signal in a child process that is writing two files: both temporaries vanish. */
START_TEST(test_signal_cleanup)
{
    char *a = test_tmp_path("sig-a"), *b = test_tmp_path("sig-b");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        fnrt_outfile oa, ob;
        if (fnrt_outfile_open(&oa, a, 0) != FNRT_OK || fnrt_outfile_open(&ob, b, 0) != FNRT_OK)
            _exit(1);
        fputs("partial", oa.fp);
        fflush(oa.fp);
        raise(SIGTERM);
        _exit(2); /* not reached */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), 0);
    free(a);
    free(b);
}
END_TEST

/* More files open at once than the signal registry holds: all still work. */
START_TEST(test_many_open)
{
    enum { N = 80 };
    fnrt_outfile of[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "f%02d", i);
        char *p = test_tmp_path(name);
        ck_assert_msg(fnrt_outfile_open(&of[i], p, 0) == FNRT_OK, "%s", fnrt_last_error());
        fprintf(of[i].fp, "%d", i);
        free(p);
    }
    for (int i = 0; i < N; i += 2)
        ck_assert_int_eq(fnrt_outfile_commit(&of[i]), FNRT_OK);
    for (int i = 1; i < N; i += 2)
        fnrt_outfile_abort(&of[i]);
    ck_assert_int_eq(dir_count(test_tmp, NULL, 0), N / 2);
    snprintf(name, sizeof name, "f%02d", 42);
    char *p = test_tmp_path(name);
    assert_content(p, "42");
    free(p);
}
END_TEST

static Suite *outfile_suite(void)
{
    Suite *s = suite_create("outfile");
    TCase *tc = tcase_create("commit");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_commit_creates);
    tcase_add_test(tc, test_mode_follows_umask);
    tcase_add_test(tc, test_no_overwrite_without_force);
    tcase_add_test(tc, test_target_appears_meanwhile);
    tcase_add_test(tc, test_relative_path);
    tcase_add_test(tc, test_many_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("abort");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(tc, test_abort_leaves_nothing);
    tcase_add_test(tc, test_bad_folders);
    tcase_add_test(tc, test_abort_all_signal_safe);
    tcase_add_test(tc, test_signal_cleanup);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(outfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
