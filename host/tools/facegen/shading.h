/* Surface appearance for fnrt-facegen: albedo (skin tone with low-frequency variation, lips,
 * eyeballs with iris and pupil), second-order spherical-harmonics lighting and a Blinn-Phong
 * specular highlight.  No shadows. */
#ifndef FNRT_FACEGEN_SHADING_H
#define FNRT_FACEGEN_SHADING_H

#include "face-model.h"
#include "rng.h"

#define FNRT_FG_MAX_WAVES 4

typedef struct fnrt_fg_albedo {
    float skin[3];
    int n_waves; /* low-frequency multiplicative variation: 1 + sum amp*sin(k.p + phase) */
    float wave_k[FNRT_FG_MAX_WAVES][3]; /* rad/cm, applied to the neutral vertex position */
    float wave_phase[FNRT_FG_MAX_WAVES];
    float wave_amp[FNRT_FG_MAX_WAVES][3];
    float lip_tint[3]; /* multiplier at full lip weight */
    float sclera[3], iris[3], pupil[3];
    float iris_cos, pupil_cos; /* eye_cos thresholds of the iris and pupil discs */
    float interior[3];         /* unlit colour of the inside of the mesh where it is open (mouth,
                                * nostrils, neck) */
} fnrt_fg_albedo;

typedef struct fnrt_fg_lighting {
    float sh[3][9]; /* per colour channel: shading(n) = sum_k sh[c][k] * Y_k(n) */
    float spec_strength, spec_shininess;
    float eye_spec_strength, eye_shininess;
    float spec_dir[3]; /* unit vector toward the light, camera space */
    float spec_colour[3];
} fnrt_fg_lighting;

/* Real SH basis up to l=2 at unit direction n (order: Y00, Y1-1, Y10, Y11, Y2-2, Y2-1, Y20,
 * Y21, Y22). */
void fnrt_fg_sh_basis(const float n[3], float y[9]);
/* Adds the irradiance of a distant light of strength intensity from unit direction d (toward
 * the light), projected to order 2 (Ramamoorthi-Hanrahan clamped-cosine factors), so that a
 * surface facing d gets about `intensity`. */
void fnrt_fg_sh_add_directional(float sh[9], const float d[3], float intensity);
/* Adds a constant term `a`. */
void fnrt_fg_sh_add_ambient(float sh[9], float a);

void fnrt_fg_albedo_draw(fnrt_fg_rng *rng, fnrt_fg_albedo *a);
void fnrt_fg_lighting_draw(fnrt_fg_rng *rng, fnrt_fg_lighting *l);

/* Per-vertex albedo (n_verts*3) of skin vertices (eyeball vertices get the sclera colour;
 * their detail comes from fnrt_fg_eye_albedo per pixel). */
void fnrt_fg_vertex_albedo(const fnrt_fg_model *m, const fnrt_fg_albedo *a, float *albedo);
/* Eyeball albedo at an interpolated eye_cos value (sclera, iris with a darker rim, pupil). */
void fnrt_fg_eye_albedo(const fnrt_fg_albedo *a, float eye_cos, float out[3]);
/* Shaded colour at a point with unit normal n and unit vector `view` toward the camera. */
void fnrt_fg_shade(const fnrt_fg_lighting *l, const float n[3], const float view[3],
                   const float albedo[3], int is_eye, float out[3]);

#endif
