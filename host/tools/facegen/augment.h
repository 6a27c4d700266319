/* Backgrounds and photometric degradations for fnrt-facegen images.  Images are planar
 * float RGB (3,S,S).  Only the RGB image is degraded; normals and masks never are. */
#ifndef FNRT_FACEGEN_AUGMENT_H
#define FNRT_FACEGEN_AUGMENT_H

#include <stdint.h>

#include "rng.h"

enum fnrt_fg_bg_kind {
    FNRT_FG_BG_FLAT = 0,
    FNRT_FG_BG_GRADIENT,
    FNRT_FG_BG_NOISE,
    FNRT_FG_BG_SHAPES,
    FNRT_FG_BG_KINDS
};

#define FNRT_FG_BG_MAX_GRID 8 /* value-noise cells per side */
#define FNRT_FG_BG_MAX_SHAPES 12

typedef struct fnrt_fg_shape {
    int ellipse;                 /* 1 ellipse, 0 rectangle */
    float cx, cy, rx, ry, angle; /* fractions of the image size; radians */
    float col[3];
} fnrt_fg_shape;

typedef struct fnrt_fg_background {
    int kind;
    float col[2][3];  /* flat colour / gradient ends / base of the others */
    float grad_angle; /* radians */
    int grid;         /* value noise: cells per side */
    float nodes[(FNRT_FG_BG_MAX_GRID + 1) * (FNRT_FG_BG_MAX_GRID + 1)][3];
    int n_shapes;
    fnrt_fg_shape shapes[FNRT_FG_BG_MAX_SHAPES];
} fnrt_fg_background;

typedef struct fnrt_fg_degrade {
    float gamma;       /* x -> x^gamma */
    float brightness;  /* multiplier */
    float contrast;    /* around the mean luma */
    float saturation;  /* 0 grey, 1 unchanged */
    float blur_sigma;  /* pixels, 0 = none */
    float noise_sigma; /* additive Gaussian noise */
    uint64_t noise_seed;
} fnrt_fg_degrade;

void fnrt_fg_background_draw(fnrt_fg_rng *rng, fnrt_fg_background *bg);
/* Renders a background into rgb (3*size*size, planar). */
void fnrt_fg_background_render(const fnrt_fg_background *bg, int size, float *rgb);

void fnrt_fg_degrade_draw(fnrt_fg_rng *rng, fnrt_fg_degrade *d);
/* Applies gamma, colour jitter, blur, noise and the final clamp to [0,1] in place.
 * scratch must hold 3*size*size floats. */
void fnrt_fg_degrade_apply(const fnrt_fg_degrade *d, int size, float *rgb, float *scratch);

#endif
