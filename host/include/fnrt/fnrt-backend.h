/* fnrt — device backends and the ops they execute.
 *
 * A backend is a small table of function pointers (struct fnrt_backend_ops) plus an opaque
 * context.  Backends execute single ops on device buffers; they know nothing of network
 * topology: the graph (host/src/core/graph.h) is built in one place from the model file
 * and walked by the session, which calls the backend op by op.
 *
 * Data layout seen through this interface: every tensor is float32, batch 1, planar
 * channel-major (C,H,W), row-major inside a plane.  A backend may keep a different layout
 * internally as long as buf_write/buf_read convert from/to this canonical layout.
 */
#ifndef FNRT_BACKEND_H
#define FNRT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Activation functions fused into ops. */
typedef enum fnrt_act {
    FNRT_ACT_NONE = 0,
    FNRT_ACT_RELU,  /* max(x, 0) */
    FNRT_ACT_LEAKY, /* x >= 0 ? x : alpha * x   (alpha from the op) */
    FNRT_ACT_TANH
} fnrt_act;

/* The op set.  The semantics given here are normative: the plain-C reference backend
 * implements exactly this and every other backend is tested against it.
 * Argument order (fnrt_op.in[]) is fixed per op; unused optional slots hold -1 in the
 * graph and NULL in the buffer array passed to a backend. */
typedef enum fnrt_op_type {
    /* in: x[Ci,H,W], w[Co,Ci,kh,kw], bias[Co] (opt), res[Co,Ho,Wo] (opt).
     * y[o,p,q] = act_out( bias[o] + sum_{i,u,v} w[o,i,u,v] * act_in(x[i, p*s-pad+u, q*s-pad+v]) )
     *            + res[o,p,q]
     * out-of-range x reads are 0 (zero padding applied after act_in, so act_in(0)=0 anyway);
     * Ho = (H + 2*pad - kh)/s + 1, Wo likewise. */
    FNRT_OP_CONV2D = 0,
    /* in: x[Ci,H,W], w[Ci,Co,k,k] (PyTorch ConvTranspose2d layout), bias[Co] (opt).
     * y[o,p,q] = act_out( bias[o] + sum over i,u,v with p = h*s - pad + u, q = w*s - pad + v
     *            of w[i,o,u,v] * act_in(x[i,h,w]) );  Ho = (H-1)*s - 2*pad + k. */
    FNRT_OP_DECONV2D,
    /* in: x[C,H,W].  y[c,p,q] = max over the k x k window at (p*s-pad, q*s-pad) of the
     * in-range x values (padding never wins).  Ho = (H + 2*pad - k)/s + 1. */
    FNRT_OP_MAXPOOL,
    /* in: x[C,H,W].  y[C,2H,2W], bilinear.  align_corners=0: source coordinate
     * (dst+0.5)/2-0.5 clamped at 0 (PyTorch's align_corners=False); align_corners=1:
     * dst*(H-1)/(2H-1). */
    FNRT_OP_UPSAMPLE2X,
    /* in: a[Ca,H,W], b[Cb,H,W].  y = concat(a, b[0::stride_b]) along channels:
     * y has Ca + ceil(Cb/stride_b) channels. */
    FNRT_OP_CONCAT,
    /* in: x[C,H,W].  y[C,1,1] = mean over H,W. */
    FNRT_OP_GLOBAL_AVGPOOL,
    /* Modulated/demodulated 3x3 weights (StyleGAN2-style, published SDFT).
     * in: w[Co,Ci,k,k] (param), s[Ci,1,1] (per-input-channel style).
     * t[o,i,u,v] = scale * w[o,i,u,v] * s[i];
     * y[o,i,u,v] = t[o,i,u,v] / sqrt( sum_{i,u,v} t[o,i,u,v]^2 + eps ).
     * The output is the weight tensor of a following CONV2D. */
    FNRT_OP_MODULATE,
    /* in: x[3,H,W].  y[1,H,W] = (x0 + x1 + x2) / 3. */
    FNRT_OP_GRAY,
    /* in: x[3,H,W].  Per pixel n = x / max(|x|, eps) (|x| the L2 norm over channels);
     * swizzle=0: y = n;  swizzle=1: y = (n1, -n0, n2) (exemplar frame change). */
    FNRT_OP_L2NORM,
    /* in: a[C,H,W], b[C,H,W].  y = act(a + b), act = p.add.act (alpha = p.add.alpha for
     * LEAKY).  The residual add of a ResNet BasicBlock, relu(bn2(conv2(x)) + shortcut):
     * CONV2D's res input is added after act_out, this op adds before the activation. */
    FNRT_OP_ADD,
    /* in: x[C,H,W], skip[C-K,H,W] with K = p.merge.k (0 <= K <= C).  Channel-slice
     * max-merge of the cross-modal decoder's skip connections:
     *   y[c] = x[c]                   for c < K,
     *   y[c] = max(x[c], skip[c-K])   for K <= c < C   (fmax: a NaN loses to a number).
     * A deactivated skip is not an op with an absent input: the graph leaves the op out
     * and passes x on unchanged. */
    FNRT_OP_MAXMERGE,
    FNRT_OP_COUNT
} fnrt_op_type;

#define FNRT_OP_MAX_IN 4
#define FNRT_NAME_MAX 64

/* Shape of a tensor: activations are (c,h,w); weights use dims[0..3] = (Co,Ci,kh,kw) etc.
 * n_elems is the product of all dims. */
typedef struct fnrt_shape {
    int ndim;
    int64_t dims[4];
} fnrt_shape;

typedef struct fnrt_conv_params {
    int kh, kw, stride, pad;
    fnrt_act act_in, act_out;
    float alpha_in, alpha_out; /* LeakyReLU slopes */
} fnrt_conv_params;

typedef struct fnrt_pool_params {
    int k, stride, pad;
} fnrt_pool_params;

typedef struct fnrt_op {
    fnrt_op_type type;
    char name[FNRT_NAME_MAX];         /* stable layer name, e.g. "coarse.conv3" */
    int n_in;                         /* number of slots in in[] (incl. optional ones) */
    int in[FNRT_OP_MAX_IN];           /* graph tensor ids, -1 = absent */
    int out;                          /* graph tensor id of the output */
    fnrt_shape in_shape[FNRT_OP_MAX_IN];
    fnrt_shape out_shape;
    union {
        fnrt_conv_params conv;        /* CONV2D, DECONV2D */
        fnrt_pool_params pool;        /* MAXPOOL */
        struct { int align_corners; } up;
        struct { int stride_b; } cat;
        struct { float scale, eps; } mod;
        struct { int swizzle; float eps; } l2;
        struct { fnrt_act act; float alpha; } add; /* ADD */
        struct { int k; } merge;                   /* MAXMERGE: channels kept from x */
    } p;
} fnrt_op;

/* A device buffer; each backend defines the struct. */
typedef struct fnrt_buf fnrt_buf;
/* A point in a backend queue (optional extension below); each backend defines the struct. */
typedef struct fnrt_event fnrt_event;

/* A band of rows of an op's output (the session's tiled chains): output rows
 * [y0, y0 + n_rows) are computed, every other output row is left alone.  rows[k] for each
 * activation argument k (inputs, then the output, as in run's args): 0 = the buffer holds
 * the whole tensor; R > 0 = the buffer holds R rows (shape (C,R,W)) and tensor row r lives
 * at buffer row r % R: a ring of rows (line buffer) that must hold every row the band
 * reads or writes.  Results equal those of run() exactly. */
typedef struct fnrt_band {
    int y0, n_rows;
    int rows[FNRT_OP_MAX_IN + 1];
} fnrt_band;

typedef struct fnrt_backend_ops {
    const char *name; /* "ref", "opencl", ... */

    /* Opens the backend on a device.  device: backend-specific selector (NULL = default;
     * for OpenCL "N", "P:N" or a substring of the device name).  */
    fnrt_status (*create)(const char *device, void **ctx);
    void (*destroy)(void *ctx);
    /* One line naming the device actually used. */
    const char *(*device_name)(void *ctx);

    fnrt_status (*buf_create)(void *ctx, const fnrt_shape *shape, fnrt_buf **buf);
    void (*buf_free)(void *ctx, fnrt_buf *buf);
    fnrt_status (*buf_write)(void *ctx, fnrt_buf *buf, const float *src, size_t n_elems);
    fnrt_status (*buf_read)(void *ctx, fnrt_buf *buf, float *dst, size_t n_elems);

    /* Op implementations, indexed by fnrt_op_type; NULL = the backend cannot run that op.
     * args has op->n_in input buffers (NULL for absent optional inputs) then the output. */
    fnrt_status (*run[FNRT_OP_COUNT])(void *ctx, const fnrt_op *op, fnrt_buf *const *args);

    /* Waits until all queued work is done (may be NULL for synchronous backends). */
    fnrt_status (*finish)(void *ctx);

    /* ---- Optional extension: memory sharing, weight preparation, queues and events ----
     * Each member may be NULL and is checked by the session executor (core/session.c):
     * without buf_view every tensor gets its own buffer; without prepare weights are
     * prepared at first use; without the queue/event group (set_queue, event_record,
     * event_wait, event_sync, event_free: all or none) stages run one after another.
     * The reference backend leaves all of them NULL. */

    /* A buffer of elems(shape) floats aliasing the start of base (at least that large).
     * Freed with buf_free before base. */
    fnrt_status (*buf_view)(void *ctx, fnrt_buf *base, const fnrt_shape *shape,
                            fnrt_buf **view);
    /* Called once per op at session creation, after the parameters were written, with the
     * op's buffers: lets a backend re-pack constant weights once.  A parameter buffer
     * passed here is never written again. */
    fnrt_status (*prepare)(void *ctx, const fnrt_op *op, fnrt_buf *const *args);
    /* Selects the in-order queue (0 .. FNRT_BACKEND_MAX_QUEUES-1) that the following
     * buf_write, buf_read, run and event calls enqueue on.  Queue 0 is the default. */
    fnrt_status (*set_queue)(void *ctx, int queue);
    /* Non-blocking copies on the current queue (optional even with queues): src/dst must
     * stay valid until an event recorded after them has completed. */
    fnrt_status (*buf_write_async)(void *ctx, fnrt_buf *buf, const float *src,
                                   size_t n_elems);
    fnrt_status (*buf_read_async)(void *ctx, fnrt_buf *buf, float *dst, size_t n_elems);
    /* An event that completes when everything enqueued so far on the current queue has. */
    fnrt_status (*event_record)(void *ctx, fnrt_event **ev);
    /* Work enqueued later on the current queue starts only after ev completed. */
    fnrt_status (*event_wait)(void *ctx, fnrt_event *ev);
    /* Blocks until ev completed; *t_end receives its completion time in seconds on the
     * host's CLOCK_MONOTONIC when the backend knows it (else the time the wait returned). */
    fnrt_status (*event_sync)(void *ctx, fnrt_event *ev, double *t_end);
    void (*event_free)(void *ctx, fnrt_event *ev);
    /* Runs op on a band of output rows (see fnrt_band); FNRT_ERR_UNSUPPORTED for op types
     * it has no band variant of (the session only tiles CONV2D). */
    fnrt_status (*run_band)(void *ctx, const fnrt_op *op, fnrt_buf *const *args,
                            const struct fnrt_band *band);
    /* Bounded wait (optional; NULL = the backend cannot bound its waits): like finish, but
     * gives up after `seconds` with FNRT_ERR_TIMEOUT.  The context is then abandoned: the
     * device may still be running the work (a running kernel cannot be cancelled), so every
     * later call on it fails fast with FNRT_ERR_TIMEOUT, and destroy/buf_free leak its
     * device objects instead of waiting for them. */
    fnrt_status (*finish_timeout)(void *ctx, double seconds);
} fnrt_backend_ops;

#define FNRT_BACKEND_MAX_QUEUES 8

/* Built-in backends. */
extern const fnrt_backend_ops fnrt_backend_ref;
extern const fnrt_backend_ops fnrt_backend_opencl;

/* Looks a backend up by name ("ref", "opencl"); NULL if unknown. */
const fnrt_backend_ops *fnrt_backend_find(const char *name);

/* Number of elements of a shape (product of dims), 0 for ndim 0. */
size_t fnrt_shape_elems(const fnrt_shape *s);

/* Short human-readable name of an op type ("conv2d", ...). */
const char *fnrt_op_type_str(fnrt_op_type t);

#ifdef __cplusplus
}
#endif
#endif
