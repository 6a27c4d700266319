/* Output files that appear whole or not at all.
 *
 * open:   mkstemp "<dir>/.<basename>.XXXXXX.tmp" beside the target (same file system, so the
 *         final step is atomic), registered for fnrt_outfile_abort_all_signal_safe().
 * commit: fflush + fchmod(0666 & ~umask) + fsync + fclose, then link(tmp, path) + unlink(tmp)
 *         (link fails if path exists, so nothing is ever replaced without force), or rename()
 *         with force; finally fsync of the folder, best effort.
 *
 * The registry is a fixed array of path buffers with lock-free atomic state flags: a signal
 * handler may read it at any moment (C11 7.14.1.1 allows lock-free atomics in handlers), and
 * threads claim slots with compare-and-swap instead of a lock. */
#include "io/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OF_SLOTS 64
#define OF_PATH_MAX 4096
#define OF_SUFFIX ".XXXXXX.tmp"
#define OF_SUFFIX_KEEP 4 /* ".tmp" after the XXXXXX */

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal-safe registry needs lock-free atomic_int");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "registry needs lock-free atomic pointers");

enum { OF_FREE = 0, OF_BUSY = 1, OF_LIVE = 2 };

static atomic_int of_state[OF_SLOTS];
static _Atomic(uintptr_t) of_owner[OF_SLOTS]; /* the fnrt_outfile's tmp_path pointer */
static char of_paths[OF_SLOTS][OF_PATH_MAX];

/* Remembers tmp for the signal handler.  With every slot taken (more than OF_SLOTS files open
 * at once) or an over-long path the file still works; it is just not removed on a signal. */
static void of_register(const char *tmp)
{
    size_t n = strlen(tmp);
    if (n >= OF_PATH_MAX)
        return;
    for (int i = 0; i < OF_SLOTS; i++) {
        int expect = OF_FREE;
        if (atomic_compare_exchange_strong(&of_state[i], &expect, OF_BUSY)) {
            memcpy(of_paths[i], tmp, n + 1);
            atomic_store(&of_owner[i], (uintptr_t)tmp);
            atomic_store(&of_state[i], OF_LIVE);
            return;
        }
    }
}

static void of_unregister(const char *tmp)
{
    for (int i = 0; i < OF_SLOTS; i++) {
        if (atomic_load(&of_owner[i]) != (uintptr_t)tmp)
            continue;
        int expect = OF_LIVE;
        if (atomic_compare_exchange_strong(&of_state[i], &expect, OF_BUSY)) {
            atomic_store(&of_owner[i], (uintptr_t)0);
            atomic_store(&of_state[i], OF_FREE);
            return;
        }
    }
}

void fnrt_outfile_abort_all_signal_safe(void)
{
    /* only async-signal-safe calls here: atomic loads and unlink() */
    for (int i = 0; i < OF_SLOTS; i++)
        if (atomic_load(&of_state[i]) == OF_LIVE)
            unlink(of_paths[i]);
}

/* The process umask without changing it: Linux shows it in /proc/self/status; elsewhere
 * fall back to setting and restoring it. */
static mode_t of_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            unsigned mask;
            if (sscanf(line, "Umask: %o", &mask) == 1) {
                fclose(f);
                return (mode_t)(mask & 0777);
            }
        }
        fclose(f);
    }
    mode_t m = umask(022);
    umask(m);
    return m;
}

static char *of_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void of_release(fnrt_outfile *of)
{
    if (of->tmp_path)
        of_unregister(of->tmp_path);
    free(of->tmp_path);
    free(of->path);
    memset(of, 0, sizeof *of);
}

fnrt_status fnrt_outfile_open(fnrt_outfile *of, const char *path, int force)
{
    fnrt_status status = FNRT_OK;
    char *tmp = NULL, *final_path = NULL;
    int fd = -1;
    struct stat sb;

    if (!of)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_outfile_open: NULL argument");
    memset(of, 0, sizeof *of);
    if (!path || !*path)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_outfile_open: empty path");

    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t prefix_len = (size_t)(base - path); /* folder including its '/', or "" */
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "output %s: not a file name", path);

    if (lstat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return fnrt_error(FNRT_ERR_IO, "output %s is a directory", path);
        if (!force)
            return fnrt_error(FNRT_ERR_IO,
                              "output %s already exists (not overwritten without force)", path);
    }

    size_t n = prefix_len + 1 + strlen(base) + sizeof OF_SUFFIX;
    tmp = malloc(n);
    final_path = of_strdup(path);
    if (!tmp || !final_path) {
        status = fnrt_error(FNRT_ERR_NOMEM, "output %s: out of memory", path);
        goto cleanup;
    }
    snprintf(tmp, n, "%.*s.%s" OF_SUFFIX, (int)prefix_len, path, base);
    fd = mkstemps(tmp, OF_SUFFIX_KEEP);
    if (fd < 0) {
        int e = errno;
        status =
            fnrt_error(FNRT_ERR_IO, "output %s: cannot create a temporary file in %.*s: %s", path,
                       prefix_len ? (int)prefix_len : 1, prefix_len ? path : ".", strerror(e));
        goto cleanup;
    }
    of_register(tmp);
    of->fp = fdopen(fd, "wb");
    if (!of->fp) {
        status = fnrt_error(FNRT_ERR_IO, "output %s: fdopen failed: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        of_unregister(tmp);
        goto cleanup;
    }
    of->path = final_path;
    of->tmp_path = tmp;
    of->force = force ? 1 : 0;
    final_path = NULL;
    tmp = NULL;

cleanup:
    free(tmp);
    free(final_path);
    return status;
}

/* Best-effort fsync of the folder holding path, so that the new name is durable. */
static void of_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (!dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

fnrt_status fnrt_outfile_commit(fnrt_outfile *of)
{
    fnrt_status status = FNRT_OK;

    if (!of || !of->fp || !of->tmp_path || !of->path)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_outfile_commit: file is not open");
    const char *path = of->path, *tmp = of->tmp_path;
    int fd = fileno(of->fp);

    if (fflush(of->fp) != 0 || ferror(of->fp)) {
        status = fnrt_error(FNRT_ERR_IO, "output %s: write failed: %s", path, strerror(errno));
        goto cleanup;
    }
    if (fchmod(fd, 0666 & ~of_umask()) != 0) {
        status = fnrt_error(FNRT_ERR_IO, "output %s: chmod failed: %s", path, strerror(errno));
        goto cleanup;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        status = fnrt_error(FNRT_ERR_IO, "output %s: fsync failed: %s", path, strerror(errno));
        goto cleanup;
    }
    FILE *fp = of->fp;
    of->fp = NULL;
    if (fclose(fp) != 0) {
        status = fnrt_error(FNRT_ERR_IO, "output %s: close failed: %s", path, strerror(errno));
        goto cleanup;
    }

    if (of->force) {
        if (rename(tmp, path) != 0) {
            status = fnrt_error(FNRT_ERR_IO, "output %s: cannot rename %s into place: %s", path,
                                tmp, strerror(errno));
            goto cleanup;
        }
    } else if (link(tmp, path) == 0) {
        unlink(tmp);
    } else {
        int e = errno;
        struct stat sb;
        if (e == EEXIST) {
            status = fnrt_error(FNRT_ERR_IO,
                                "output %s already exists (appeared while writing; not "
                                "overwritten without force)",
                                path);
            goto cleanup;
        }
        if (e != EPERM && e != ENOSYS && e != EOPNOTSUPP && e != EMLINK) {
            status = fnrt_error(FNRT_ERR_IO, "output %s: cannot link %s into place: %s", path, tmp,
                                strerror(e));
            goto cleanup;
        }
        /* no hard links on this file system: check, then rename (a small race remains) */
        if (lstat(path, &sb) == 0) {
            status = fnrt_error(FNRT_ERR_IO,
                                "output %s already exists (not overwritten without force)", path);
            goto cleanup;
        }
        if (rename(tmp, path) != 0) {
            status = fnrt_error(FNRT_ERR_IO, "output %s: cannot rename %s into place: %s", path,
                                tmp, strerror(errno));
            goto cleanup;
        }
    }
    of_sync_dir(path);

cleanup:
    if (status != FNRT_OK) {
        if (of->fp)
            fclose(of->fp);
        of->fp = NULL;
        unlink(tmp);
    }
    of_release(of);
    return status;
}

void fnrt_outfile_abort(fnrt_outfile *of)
{
    if (!of)
        return;
    if (of->fp)
        fclose(of->fp);
    of->fp = NULL;
    if (of->tmp_path)
        unlink(of->tmp_path);
    of_release(of);
}
