/* Albedo, spherical-harmonics lighting and specular highlights. */
#include "shading.h"

#include <math.h>
#include <string.h>

#define FG_PI 3.14159265358979323846

void fnrt_fg_sh_basis(const float n[3], float y[9])
{
    const float x = n[0], yy = n[1], z = n[2];
    y[0] = 0.282095f;
    y[1] = 0.488603f * yy;
    y[2] = 0.488603f * z;
    y[3] = 0.488603f * x;
    y[4] = 1.092548f * x * yy;
    y[5] = 1.092548f * yy * z;
    y[6] = 0.315392f * (3.0f * z * z - 1.0f);
    y[7] = 1.092548f * x * z;
    y[8] = 0.546274f * (x * x - yy * yy);
}

void fnrt_fg_sh_add_directional(float sh[9], const float d[3], float intensity)
{
    /* clamped-cosine convolution factors A_l = pi, 2pi/3, pi/4 */
    static const float a_l[9] = {(float)FG_PI,
                                 (float)(2.0 * FG_PI / 3.0),
                                 (float)(2.0 * FG_PI / 3.0),
                                 (float)(2.0 * FG_PI / 3.0),
                                 (float)(FG_PI / 4.0),
                                 (float)(FG_PI / 4.0),
                                 (float)(FG_PI / 4.0),
                                 (float)(FG_PI / 4.0),
                                 (float)(FG_PI / 4.0)};
    float y[9];
    fnrt_fg_sh_basis(d, y);
    for (int k = 0; k < 9; k++)
        sh[k] += intensity * a_l[k] * y[k];
}

void fnrt_fg_sh_add_ambient(float sh[9], float a)
{
    sh[0] += a / 0.282095f;
}

static void fg_lerp3(const float a[3], const float b[3], float t, float out[3])
{
    for (int k = 0; k < 3; k++)
        out[k] = a[k] + (b[k] - a[k]) * t;
}

static void fg_random_dir(fnrt_fg_rng *rng, float xlo, float xhi, float ylo, float yhi, float zlo,
                          float zhi, float d[3])
{
    float len;
    do {
        d[0] = (float)fnrt_fg_rng_range(rng, xlo, xhi);
        d[1] = (float)fnrt_fg_rng_range(rng, ylo, yhi);
        d[2] = (float)fnrt_fg_rng_range(rng, zlo, zhi);
        len = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    } while (len < 1e-3f);
    for (int k = 0; k < 3; k++)
        d[k] /= len;
}

void fnrt_fg_albedo_draw(fnrt_fg_rng *rng, fnrt_fg_albedo *a)
{
    /* Skin tones from light to dark along a piecewise-linear path (display-referred RGB). */
    static const float tones[5][3] = {{0.93f, 0.78f, 0.68f},
                                      {0.84f, 0.64f, 0.52f},
                                      {0.70f, 0.49f, 0.36f},
                                      {0.50f, 0.33f, 0.23f},
                                      {0.30f, 0.19f, 0.13f}};
    memset(a, 0, sizeof *a);
    float t = (float)fnrt_fg_rng_uniform(rng) * 4.0f;
    int seg = (int)t;
    if (seg > 3)
        seg = 3;
    fg_lerp3(tones[seg], tones[seg + 1], t - (float)seg, a->skin);
    float bright = (float)fnrt_fg_rng_range(rng, 0.92, 1.08);
    for (int k = 0; k < 3; k++)
        a->skin[k] *= bright * (float)fnrt_fg_rng_range(rng, 0.96, 1.04);

    a->n_waves = 2 + fnrt_fg_rng_int(rng, FNRT_FG_MAX_WAVES - 1);
    for (int w = 0; w < a->n_waves; w++) {
        float dir[3];
        fg_random_dir(rng, -1, 1, -1, 1, -1, 1, dir);
        float wavelength = (float)fnrt_fg_rng_range(rng, 5.0, 25.0); /* cm */
        float kk = (float)(2.0 * FG_PI) / wavelength;
        for (int c = 0; c < 3; c++)
            a->wave_k[w][c] = dir[c] * kk;
        a->wave_phase[w] = (float)fnrt_fg_rng_range(rng, 0.0, 2.0 * FG_PI);
        /* the amplitudes of all waves add up to at most ~10% */
        float amp = (float)fnrt_fg_rng_range(rng, 0.01, 0.10 / a->n_waves);
        a->wave_amp[w][0] = amp * (float)fnrt_fg_rng_range(rng, 0.8, 1.2);
        a->wave_amp[w][1] = amp * (float)fnrt_fg_rng_range(rng, 0.8, 1.2);
        a->wave_amp[w][2] = amp * (float)fnrt_fg_rng_range(rng, 0.8, 1.2);
    }
    float lip = (float)fnrt_fg_rng_range(rng, 0.4, 1.0);
    a->lip_tint[0] = 1.0f + 0.05f * lip;
    a->lip_tint[1] = 1.0f - 0.16f * lip;
    a->lip_tint[2] = 1.0f - 0.11f * lip;

    float sclera = (float)fnrt_fg_rng_range(rng, 0.78, 0.92);
    a->sclera[0] = sclera;
    a->sclera[1] = sclera * 0.96f;
    a->sclera[2] = sclera * 0.93f;
    static const float irises[5][3] = {{0.30f, 0.17f, 0.08f},  /* brown */
                                       {0.13f, 0.07f, 0.04f},  /* dark brown */
                                       {0.25f, 0.36f, 0.48f},  /* blue */
                                       {0.27f, 0.33f, 0.20f},  /* green */
                                       {0.38f, 0.27f, 0.14f}}; /* hazel */
    int iris = fnrt_fg_rng_int(rng, 5);
    float ib = (float)fnrt_fg_rng_range(rng, 0.75, 1.2);
    for (int k = 0; k < 3; k++) {
        a->iris[k] = irises[iris][k] * ib;
        a->pupil[k] = 0.03f;
    }
    a->iris_cos = cosf((float)(fnrt_fg_rng_range(rng, 25.0, 31.0) * FG_PI / 180.0));
    a->pupil_cos = cosf((float)(fnrt_fg_rng_range(rng, 8.0, 13.0) * FG_PI / 180.0));
    float dark = (float)fnrt_fg_rng_range(rng, 0.06, 0.18);
    a->interior[0] = dark * 1.0f;
    a->interior[1] = dark * 0.45f;
    a->interior[2] = dark * 0.4f;
}

void fnrt_fg_lighting_draw(fnrt_fg_rng *rng, fnrt_fg_lighting *l)
{
    memset(l, 0, sizeof *l);
    float dir[3], fill[3];
    /* dominant light: mostly from the front, more often from above */
    fg_random_dir(rng, -1.0f, 1.0f, -0.5f, 1.0f, 0.15f, 1.2f, dir);
    float intensity = (float)fnrt_fg_rng_range(rng, 0.55, 1.0);
    float ambient = (float)fnrt_fg_rng_range(rng, 0.15, 0.5);
    float exposure = (float)fnrt_fg_rng_range(rng, 0.75, 1.25);
    int has_fill = fnrt_fg_rng_uniform(rng) < 0.5;
    fg_random_dir(rng, -1.0f, 1.0f, -1.0f, 1.0f, -0.2f, 1.0f, fill);
    float fill_i = (float)fnrt_fg_rng_range(rng, 0.05, 0.3);
    for (int c = 0; c < 3; c++) {
        float tint = (float)fnrt_fg_rng_range(rng, 0.92, 1.08);
        float atint = (float)fnrt_fg_rng_range(rng, 0.92, 1.08);
        fnrt_fg_sh_add_directional(l->sh[c], dir, intensity * tint * exposure);
        fnrt_fg_sh_add_ambient(l->sh[c], ambient * atint * exposure);
        if (has_fill)
            fnrt_fg_sh_add_directional(l->sh[c], fill, fill_i * atint * exposure);
        l->spec_colour[c] = tint * exposure;
    }
    /* a little unstructured low-order light on top (same for all channels) */
    for (int k = 1; k < 9; k++) {
        float p = (float)(0.03 * fnrt_fg_rng_normal(rng)) * exposure;
        for (int c = 0; c < 3; c++)
            l->sh[c][k] += p;
    }

    int has_spec = fnrt_fg_rng_uniform(rng) < 0.8;
    l->spec_strength = has_spec ? (float)fnrt_fg_rng_range(rng, 0.0, 0.3) : 0.0f;
    l->spec_shininess = (float)fnrt_fg_rng_range(rng, 10.0, 60.0);
    if (fnrt_fg_rng_uniform(rng) < 0.5)
        memcpy(l->spec_dir, dir, sizeof dir);
    else
        fg_random_dir(rng, -1.0f, 1.0f, -0.6f, 1.0f, 0.1f, 1.2f, l->spec_dir);
    l->eye_spec_strength = (float)fnrt_fg_rng_range(rng, 0.3, 0.7);
    l->eye_shininess = (float)fnrt_fg_rng_range(rng, 60.0, 150.0);
}

void fnrt_fg_vertex_albedo(const fnrt_fg_model *m, const fnrt_fg_albedo *a, float *albedo)
{
    for (int v = 0; v < m->n_verts; v++) {
        float *o = albedo + 3 * v;
        if (m->region[v] == FNRT_FG_REGION_EYE) {
            memcpy(o, a->sclera, 3 * sizeof(float));
            continue;
        }
        const float *p = m->neutral + 3 * v;
        float var[3] = {1.0f, 1.0f, 1.0f};
        for (int w = 0; w < a->n_waves; w++) {
            float s = sinf(a->wave_k[w][0] * p[0] + a->wave_k[w][1] * p[1] +
                           a->wave_k[w][2] * p[2] + a->wave_phase[w]);
            for (int c = 0; c < 3; c++)
                var[c] += a->wave_amp[w][c] * s;
        }
        float lip = m->lip[v];
        for (int c = 0; c < 3; c++)
            o[c] = a->skin[c] * var[c] * (1.0f + (a->lip_tint[c] - 1.0f) * lip);
    }
}

static float fg_smooth(float e0, float e1, float x)
{
    float t = (x - e0) / (e1 - e0);
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    return t * t * (3.0f - 2.0f * t);
}

void fnrt_fg_eye_albedo(const fnrt_fg_albedo *a, float eye_cos, float out[3])
{
    float in_iris = fg_smooth(a->iris_cos - 0.012f, a->iris_cos + 0.012f, eye_cos);
    float in_pupil = fg_smooth(a->pupil_cos - 0.004f, a->pupil_cos + 0.004f, eye_cos);
    /* darker limbal ring, lighter toward the pupil */
    float rim = 0.55f + 0.45f * fg_smooth(a->iris_cos, a->iris_cos + 0.06f, eye_cos);
    for (int c = 0; c < 3; c++) {
        float iris = a->iris[c] * rim;
        float col = a->sclera[c] + (iris - a->sclera[c]) * in_iris;
        out[c] = col + (a->pupil[c] - col) * in_pupil;
    }
}

void fnrt_fg_shade(const fnrt_fg_lighting *l, const float n[3], const float view[3],
                   const float albedo[3], int is_eye, float out[3])
{
    float y[9];
    fnrt_fg_sh_basis(n, y);
    for (int c = 0; c < 3; c++) {
        const float *s = l->sh[c];
        float e = s[0] * y[0] + s[1] * y[1] + s[2] * y[2] + s[3] * y[3] + s[4] * y[4] +
                  s[5] * y[5] + s[6] * y[6] + s[7] * y[7] + s[8] * y[8];
        out[c] = albedo[c] * (e > 0.0f ? e : 0.0f);
    }
    float ks = is_eye ? l->eye_spec_strength : l->spec_strength;
    if (ks <= 0.0f)
        return;
    const float *d = l->spec_dir;
    float nl = n[0] * d[0] + n[1] * d[1] + n[2] * d[2];
    if (nl <= 0.0f)
        return;
    float h[3] = {d[0] + view[0], d[1] + view[1], d[2] + view[2]};
    float hl = sqrtf(h[0] * h[0] + h[1] * h[1] + h[2] * h[2]);
    if (hl < 1e-6f)
        return;
    float nh = (n[0] * h[0] + n[1] * h[1] + n[2] * h[2]) / hl;
    if (nh <= 0.0f)
        return;
    float s = ks * powf(nh, is_eye ? l->eye_shininess : l->spec_shininess);
    for (int c = 0; c < 3; c++)
        out[c] += s * l->spec_colour[c];
}
