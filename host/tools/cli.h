/* fnrt command line: what the per-command files share.
 *
 * Exit status (all commands):
 *   0  success
 *   1  an input could not be processed or an output not written (in a batch, the others
 *      were still processed; the summary at the end says which failed)
 *   2  usage error (unknown command/option, bad option value)
 *   3  the model file could not be loaded
 *   4  the backend/device could not be opened or failed
 *   130 interrupted (Ctrl-C); no partial output file is left behind */
#ifndef FNRT_CLI_H
#define FNRT_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "fnrt/fnrt.h"
#include "io/image.h"

enum {
    EXIT_INPUT = 1,
    EXIT_USAGE = 2,
    EXIT_MODEL = 3,
    EXIT_DEVICE = 4,
    EXIT_INTERRUPTED = 130
};

/* One sub-command: `fnrt NAME ...` calls run(argc, argv) with argv[0] = NAME. */
typedef struct fnrt_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} fnrt_cli_command;

int fnrt_cmd_infer(int argc, char **argv);
int fnrt_cmd_info(int argc, char **argv);
int fnrt_cmd_devices(int argc, char **argv);
int fnrt_cmd_plan(int argc, char **argv);
int fnrt_cmd_bench(int argc, char **argv);
int fnrt_cmd_eval(int argc, char **argv);
int fnrt_cmd_diff(int argc, char **argv);
int fnrt_cmd_doctor(int argc, char **argv);

/* Set by SIGINT/SIGTERM once install_signal_handlers() ran; pending temp files are removed
 * by the handler itself. */
extern volatile sig_atomic_t fnrt_cli_interrupted;
void install_signal_handlers(void);

double now_s(void);
/* $FNRT_MODEL, else the bundled default model. */
const char *default_model(void);
int ends_with(const char *s, const char *suffix);
int is_dir(const char *path);
/* Parses a whole decimal int; -1 if s is not one. */
int parse_int_opt(const char *s, int *v);

typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;
int list_push(str_list *l, const char *s);
void list_free(str_list *l);
/* Expands INPUT arguments: files as given, directories into their *.png files (sorted);
 * *had_dir is set when a directory was given. */
int collect_inputs(char **args, int n, str_list *out, int *had_dir);
/* dir/<stem of input>.<ext> (malloc'ed) */
char *output_in_dir(const char *dir, const char *input, const char *ext);
/* Creates a directory if missing; prints the error and returns -1 on failure. */
int ensure_dir(const char *path);

/* Writes planar (3,h,w) unit normals to path (.png: (n+1)/2 with bits 8|16, .npy: float32
 * HxWx3) through a temporary file; never replaces an existing file unless force. */
fnrt_status write_normals(const char *path, const fnrt_image *n, int bits, int force);
/* Resizes a normal map to (h,w) and re-normalises each pixel; dst->data is malloc'ed. */
fnrt_status resize_normals(const fnrt_image *src, int h, int w, fnrt_image *dst);

/* Loads a model for a sub-command, in graph mode `mode` (NULL: the architecture's first);
 * prints the error and returns EXIT_USAGE for an unknown mode, EXIT_MODEL otherwise. */
int load_model_or_report(const char *path, const char *mode, fnrt_model **m);

/* Writes an RGB image (values clamped to [0,1]) as PNG through a temporary file. */
fnrt_status write_image_png(const char *path, const fnrt_image *img, int bits, int force);
/* Re-shades rgb with unit normals under a light direction (camera frame):
 * out = rgb * (0.3 + 0.9 * max(0, n.l)), clamped; out->data is malloc'ed. */
fnrt_status relight_image(const fnrt_image *rgb, const fnrt_image *normals, const float light[3],
                          fnrt_image *out);
/* input | exemplar | normals | relit side by side (same-sized planar images). */
fnrt_status make_panel(const fnrt_image *rgb, const fnrt_image *exemplar,
                       const fnrt_image *normals, const float light[3], fnrt_image *out);

#endif
