/* Output files that appear whole or not at all: written to a temporary file in the
 * target folder, flushed, and renamed into place on commit.  An existing file is never
 * replaced unless force is set. */
#ifndef FNRT_IO_OUTFILE_H
#define FNRT_IO_OUTFILE_H

#include <stdio.h>

#include "fnrt/fnrt-status.h"

typedef struct fnrt_outfile {
    char *path;     /* final path */
    char *tmp_path; /* temporary file beside it */
    FILE *fp;       /* write here between open and commit/abort */
    int force;
} fnrt_outfile;

/* Fails with FNRT_ERR_IO if path exists and !force, or the folder is not writable. */
fnrt_status fnrt_outfile_open(fnrt_outfile *of, const char *path, int force);
/* Flushes, closes and renames into place (without force: fails if the target appeared
 * meanwhile).  On failure the temporary file is removed. */
fnrt_status fnrt_outfile_commit(fnrt_outfile *of);
/* Closes and removes the temporary file; safe to call after commit or twice. */
void fnrt_outfile_abort(fnrt_outfile *of);
/* Removes every temporary file still open (for signal handlers: async-signal-safe). */
void fnrt_outfile_abort_all_signal_safe(void);

#endif
