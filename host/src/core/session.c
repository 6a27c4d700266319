/* Sessions: the stage executor.  A model's graph, partitioned by its plan (plan.h), runs on
 * a backend:
 *  - memory: parameters are uploaded (and prepared, i.e. packed, by the backend) once;
 *    stage-local activations live in per-stage pools whose blocks are shared by tensors
 *    with disjoint lifetimes; hand-off tensors (input, stage outputs read by other stages,
 *    the outputs) have one buffer per image in flight ("slot");
 *  - stages: on a backend with queues and events each stage has its own in-order queue and
 *    waits, through events, only for the stages it reads from, so independent stages
 *    (FNR2R: the refiner encoder and the coarse net) and the stages of consecutive images
 *    overlap; elsewhere (the reference backend, opts.sequential) ops run in graph order;
 *  - streams: fnrt_session_submit/collect keep up to `depth` images in flight;
 *  - tiles: the plan's full-resolution chains run in bands of rows when the backend can
 *    (see run_chain);
 *  - high resolution: fnrt_session_infer_highres runs the stages that make the exemplar and
 *    style once at the network size and the others on overlapping native-resolution tiles.
 */
#include "core/model.h"
#include "core/plan.h"
#include "core/session.h"
#include "io/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TILE_ROWS 32

typedef struct slot {
    int busy;
    long image;
    fnrt_buf **bufs;           /* per tensor: this slot's hand-off buffers, NULL elsewhere */
    float *rgb;                /* copy of the submitted input */
    float *normals, *exemplar; /* caller's outputs */
    void *user;
    fnrt_event *input_ev;
    fnrt_event *done[FNRT_PLAN_MAX_STAGES];
    unsigned stage_mask;       /* stages enqueued for this image */
    double t_submit;
} slot;

struct fnrt_session {
    const fnrt_model *model;
    const fnrt_backend_ops *be;
    void *ctx;
    fnrt_session_opts opts;
    fnrt_plan plan;
    fnrt_buf **params; /* per tensor (parameters) */
    fnrt_buf **blocks; /* pool blocks */
    fnrt_buf **views;  /* per tensor (pool activations): a view of its block */
    int queued;        /* stages on their own queues, ordered by events */
    int stage_queue[FNRT_PLAN_MAX_STAGES];
    int n_queues;
    int depth;
    slot slots[FNRT_SESSION_MAX_DEPTH];
    int head, n_in_flight;
    long n_submitted;
    double prepare_s;
    /* trace */
    fnrt_trace_event *trace;
    int n_trace, cap_trace;
    double stage_last_end[FNRT_PLAN_MAX_STAGES];
    char device[256];
    double timeout_s; /* fnrt_session_set_timeout: bound of fnrt_session_infer's wait */
    int abandoned;    /* a bounded wait timed out: the session refuses further work */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int has_events(const fnrt_backend_ops *be)
{
    return be->set_queue && be->event_record && be->event_wait && be->event_sync &&
           be->event_free;
}

/* ---- creation ---- */

static void slot_release_events(fnrt_session *s, slot *sl)
{
    if (sl->input_ev)
        s->be->event_free(s->ctx, sl->input_ev);
    sl->input_ev = NULL;
    for (int k = 0; k < FNRT_PLAN_MAX_STAGES; k++) {
        if (sl->done[k])
            s->be->event_free(s->ctx, sl->done[k]);
        sl->done[k] = NULL;
    }
}

void fnrt_session_free(fnrt_session *s)
{
    if (!s)
        return;
    int nt = s->model->graph.n_tensors;
    if (s->be && s->ctx && s->be->finish)
        s->be->finish(s->ctx);
    for (int k = 0; k < FNRT_SESSION_MAX_DEPTH; k++) {
        slot *sl = &s->slots[k];
        if (s->be && s->ctx)
            slot_release_events(s, sl);
        if (sl->bufs) {
            for (int t = 0; t < nt; t++)
                if (sl->bufs[t])
                    s->be->buf_free(s->ctx, sl->bufs[t]);
            free(sl->bufs);
        }
        if (!s->abandoned) /* else the device may still read it (an async write): leaked */
            free(sl->rgb);
    }
    if (s->views) {
        for (int t = 0; t < nt; t++)
            if (s->views[t])
                s->be->buf_free(s->ctx, s->views[t]);
        free(s->views);
    }
    if (s->blocks) {
        for (int b = 0; b < s->plan.n_blocks; b++)
            if (s->blocks[b])
                s->be->buf_free(s->ctx, s->blocks[b]);
        free(s->blocks);
    }
    if (s->params) {
        for (int t = 0; t < nt; t++)
            if (s->params[t])
                s->be->buf_free(s->ctx, s->params[t]);
        free(s->params);
    }
    if (s->be && s->ctx)
        s->be->destroy(s->ctx);
    fnrt_plan_free(&s->plan);
    free(s->trace);
    free(s);
}

/* The buffer of tensor t for the image in slot k. */
static fnrt_buf *tbuf(const fnrt_session *s, int k, int t)
{
    switch (s->plan.tensors[t].place) {
    case FNRT_PLACE_PARAM: return s->params[t];
    case FNRT_PLACE_SLOT: return s->slots[k].bufs[t];
    case FNRT_PLACE_POOL:
    case FNRT_PLACE_RING: return s->views[t];
    default: return NULL;
    }
}

static fnrt_status create_buffers(fnrt_session *s)
{
    const fnrt_graph *g = &s->model->graph;
    const fnrt_plan *p = &s->plan;
    fnrt_status st;
    int nt = g->n_tensors;
    s->params = calloc((size_t)nt, sizeof *s->params);
    s->views = calloc((size_t)nt, sizeof *s->views);
    s->blocks = calloc((size_t)(p->n_blocks ? p->n_blocks : 1), sizeof *s->blocks);
    if (!s->params || !s->views || !s->blocks)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    for (int k = 0; k < s->depth; k++) {
        s->slots[k].bufs = calloc((size_t)nt, sizeof *s->slots[k].bufs);
        s->slots[k].rgb = malloc(fnrt_shape_elems(&g->tensors[g->input].shape) * sizeof(float));
        if (!s->slots[k].bufs || !s->slots[k].rgb)
            return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    }
    for (int t = 0; t < nt; t++) {
        const fnrt_gtensor *gt = &g->tensors[t];
        const fnrt_plan_tensor *pt = &p->tensors[t];
        if (pt->place == FNRT_PLACE_PARAM) {
            if ((st = s->be->buf_create(s->ctx, &gt->shape, &s->params[t])) != FNRT_OK)
                return st;
            if ((st = s->be->buf_write(s->ctx, s->params[t], gt->data,
                                       fnrt_shape_elems(&gt->shape))) != FNRT_OK)
                return st;
        } else if (pt->place == FNRT_PLACE_SLOT) {
            for (int k = 0; k < s->depth; k++)
                if ((st = s->be->buf_create(s->ctx, &gt->shape, &s->slots[k].bufs[t])) !=
                    FNRT_OK)
                    return st;
        }
    }
    /* pools: one buffer per block and views of it, or (no buf_view) a buffer per tensor */
    if (s->be->buf_view) {
        for (int b = 0; b < p->n_blocks; b++) {
            fnrt_shape sh = {1, {(int64_t)(p->blocks[b].n_bytes / sizeof(float)), 0, 0, 0}};
            if ((st = s->be->buf_create(s->ctx, &sh, &s->blocks[b])) != FNRT_OK)
                return st;
        }
    }
    for (int t = 0; t < nt; t++) {
        const fnrt_plan_tensor *pt = &p->tensors[t];
        if (pt->place == FNRT_PLACE_RING) {
            fnrt_shape sh = g->tensors[t].shape;
            sh.dims[1] = pt->ring_rows;
            if ((st = s->be->buf_create(s->ctx, &sh, &s->views[t])) != FNRT_OK)
                return st;
            continue;
        }
        if (pt->place != FNRT_PLACE_POOL)
            continue;
        st = s->be->buf_view
                 ? s->be->buf_view(s->ctx, s->blocks[pt->block], &g->tensors[t].shape,
                                   &s->views[t])
                 : s->be->buf_create(s->ctx, &g->tensors[t].shape, &s->views[t]);
        if (st != FNRT_OK)
            return st;
    }
    return FNRT_OK;
}

/* Lets the backend pack constant weights once: each op with its parameter buffers (other
 * slots NULL); a parameter read by several ops is left alone. */
static fnrt_status prepare_weights(fnrt_session *s)
{
    const fnrt_graph *g = &s->model->graph;
    if (!s->be->prepare)
        return FNRT_OK;
    int *uses = calloc((size_t)g->n_tensors, sizeof *uses);
    if (!uses)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_ops; i++)
        for (int k = 0; k < g->ops[i].n_in; k++)
            if (g->ops[i].in[k] >= 0)
                uses[g->ops[i].in[k]]++;
    fnrt_status st = FNRT_OK;
    for (int i = 0; i < g->n_ops && st == FNRT_OK; i++) {
        const fnrt_op *op = &g->ops[i];
        fnrt_buf *args[FNRT_OP_MAX_IN + 1] = {0};
        int any = 0;
        for (int k = 0; k < op->n_in; k++) {
            int t = op->in[k];
            if (t >= 0 && s->plan.tensors[t].place == FNRT_PLACE_PARAM && uses[t] == 1) {
                args[k] = s->params[t];
                any = 1;
            }
        }
        if (any)
            st = s->be->prepare(s->ctx, op, args);
    }
    free(uses);
    return st;
}

fnrt_status fnrt_session_create_ex(const fnrt_model *m, const char *backend, const char *device,
                                   const fnrt_session_opts *opts, fnrt_session **out)
{
    fnrt_status st;
    if (!m || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_create: NULL argument");
    *out = NULL;
    const fnrt_backend_ops *be = fnrt_backend_find(backend ? backend : "opencl");
    if (!be)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "unknown backend '%s' (known: ref, opencl)",
                          backend);
    const fnrt_graph *g = &m->graph;
    /* no silent fallback: every op must be runnable where the user asked */
    for (int i = 0; i < g->n_ops; i++)
        if (!be->run[g->ops[i].type])
            return fnrt_error(FNRT_ERR_UNSUPPORTED, "backend '%s' cannot run op %s (%s)",
                              be->name, g->ops[i].name, fnrt_op_type_str(g->ops[i].type));
    fnrt_session_opts o = {0};
    if (opts)
        o = *opts;
    if (o.depth < 0 || o.depth > FNRT_SESSION_MAX_DEPTH)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "session depth %d (must be 0..%d)", o.depth,
                          FNRT_SESSION_MAX_DEPTH);
    if (o.tile_rows == 0)
        o.tile_rows = DEFAULT_TILE_ROWS;

    fnrt_session *s = calloc(1, sizeof *s);
    if (!s)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    s->model = m;
    s->opts = o;
    /* tiled chains need the backend's row bands */
    int tile_rows = o.tile_rows > 0 && be->run_band ? o.tile_rows : 0;
    if ((st = fnrt_plan_build(g, !o.no_share, tile_rows, &s->plan)) != FNRT_OK) {
        free(s);
        return st;
    }
    s->be = be;
    if ((st = be->create(device, &s->ctx)) != FNRT_OK) {
        s->be = NULL;
        goto fail;
    }
    snprintf(s->device, sizeof s->device, "%s: %s", be->name, be->device_name(s->ctx));
    s->queued = has_events(be) && !o.sequential && s->plan.n_stages <= FNRT_BACKEND_MAX_QUEUES - 1;
    s->depth = o.depth ? o.depth : (s->queued ? 2 : 1);
    s->n_queues = 1;
    for (int k = 0; k < s->plan.n_stages; k++) {
        /* queue 0 carries the inputs; stage k has queue k+1 */
        s->stage_queue[k] = s->queued ? k + 1 : 0;
        if (s->stage_queue[k] + 1 > s->n_queues)
            s->n_queues = s->stage_queue[k] + 1;
    }
    if ((st = create_buffers(s)) != FNRT_OK)
        goto fail;
    double t0 = mono_now();
    if ((st = prepare_weights(s)) != FNRT_OK)
        goto fail;
    if (be->finish && (st = be->finish(s->ctx)) != FNRT_OK)
        goto fail;
    s->prepare_s = mono_now() - t0;
    *out = s;
    return FNRT_OK;

fail:
    fnrt_session_free(s);
    return st;
}

fnrt_status fnrt_session_create(const fnrt_model *m, const char *backend, const char *device,
                                fnrt_session **out)
{
    return fnrt_session_create_ex(m, backend, device, NULL, out);
}

const char *fnrt_session_device(const fnrt_session *s)
{
    return s->device;
}

void fnrt_session_backend(const fnrt_session *s, const fnrt_backend_ops **be, void **ctx)
{
    *be = s->be;
    *ctx = s->ctx;
}

const fnrt_plan *fnrt_session_plan(const fnrt_session *s)
{
    return &s->plan;
}

int fnrt_session_depth(const fnrt_session *s)
{
    return s ? s->depth : 0;
}

int fnrt_session_in_flight(const fnrt_session *s)
{
    return s ? s->n_in_flight : 0;
}

void fnrt_session_get_stats(const fnrt_session *s, fnrt_session_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!s)
        return;
    st->param_bytes = s->plan.param_bytes;
    st->pool_bytes = s->plan.pool_bytes;
    st->slot_bytes = s->plan.slot_bytes * (uint64_t)s->depth;
    st->naive_act_bytes = s->plan.naive_bytes;
    st->ring_bytes = s->plan.ring_bytes;
    st->depth = s->depth;
    st->n_queues = s->n_queues;
    st->n_stages = s->plan.n_stages;
    st->n_tiled_chains = s->plan.n_chains;
    st->prepare_s = s->prepare_s;
}

/* ---- running ---- */

static fnrt_status run_op(fnrt_session *s, int k, int i)
{
    const fnrt_op *op = &s->model->graph.ops[i];
    fnrt_buf *args[FNRT_OP_MAX_IN + 1];
    for (int j = 0; j < op->n_in; j++)
        args[j] = op->in[j] >= 0 ? tbuf(s, k, op->in[j]) : NULL;
    args[op->n_in] = tbuf(s, k, op->out);
    return s->be->run[op->type](s->ctx, op, args);
}

/* A tiled chain, band after band: in band b op j computes its rows up to
 * (b+1)*tile_rows + the halo the later ops of the chain still read (clipped to the
 * height), starting where its previous band stopped, so every row is computed once; the
 * tensors between the ops are rings of rows (plan.c sizes them). */
static fnrt_status run_chain(fnrt_session *s, int k, int c)
{
    const fnrt_plan_chain *ch = &s->plan.chains[c];
    const fnrt_graph *g = &s->model->graph;
    int done[FNRT_PLAN_MAX_CHAIN_OPS] = {0};
    int n_bands = (ch->out_h + ch->tile_rows - 1) / ch->tile_rows;
    for (int b = 0; b < n_bands; b++) {
        for (int j = 0; j < ch->n_ops; j++) {
            const fnrt_op *op = &g->ops[ch->first_op + j];
            int halo_out = j + 1 < ch->n_ops ? ch->halo[j + 1] : 0;
            int end = (b + 1) * ch->tile_rows + halo_out;
            if (end > ch->out_h)
                end = ch->out_h;
            if (end <= done[j])
                continue;
            fnrt_band band = {done[j], end - done[j], {0}};
            fnrt_buf *args[FNRT_OP_MAX_IN + 1];
            for (int m = 0; m <= op->n_in; m++) {
                int t = m < op->n_in ? op->in[m] : op->out;
                args[m] = t >= 0 ? tbuf(s, k, t) : NULL;
                if (t >= 0 && s->plan.tensors[t].place == FNRT_PLACE_RING)
                    band.rows[m] = s->plan.tensors[t].ring_rows;
            }
            fnrt_status st = s->be->run_band(s->ctx, op, args, &band);
            if (st != FNRT_OK)
                return st;
            done[j] = end;
        }
    }
    return FNRT_OK;
}

/* Ops [first, first + n) of the graph for slot k, chains band by band; *seconds (if not
 * NULL) receives per-op times, waiting after each op (a chain's time is shared by its ops
 * in proportion to their FLOPs). */
static fnrt_status run_ops(fnrt_session *s, int k, int first, int n, double *seconds)
{
    const fnrt_graph *g = &s->model->graph;
    fnrt_status st;
    for (int i = first; i < first + n;) {
        int c = fnrt_plan_chain_of(&s->plan, i);
        int n_run = c >= 0 ? s->plan.chains[c].n_ops : 1;
        double t0 = seconds ? mono_now() : 0.0;
        st = c >= 0 ? run_chain(s, k, c) : run_op(s, k, i);
        if (st != FNRT_OK)
            return st;
        if (seconds) {
            if (s->be->finish && (st = s->be->finish(s->ctx)) != FNRT_OK)
                return st;
            double dt = mono_now() - t0, flops = 0.0;
            for (int j = i; j < i + n_run; j++)
                flops += fnrt_op_macs(&g->ops[j]);
            for (int j = i; j < i + n_run; j++)
                seconds[j] = n_run == 1 || flops <= 0.0 ? dt / n_run
                                                        : dt * fnrt_op_macs(&g->ops[j]) / flops;
        }
        i += n_run;
    }
    return FNRT_OK;
}

static fnrt_status set_queue(fnrt_session *s, int q)
{
    return s->queued ? s->be->set_queue(s->ctx, q) : FNRT_OK;
}

static fnrt_status trace_add(fnrt_session *s, long image, int stage, double t0, double t1);

/* Enqueues the stages in mask for the image in slot k (its input already in sl->rgb);
 * reads the outputs the image asked for.  Queued: returns at once, completion through the
 * slot's events.  Otherwise: runs to completion. */
static fnrt_status enqueue_image(fnrt_session *s, int k, unsigned mask)
{
    const fnrt_graph *g = &s->model->graph;
    const fnrt_plan *p = &s->plan;
    slot *sl = &s->slots[k];
    fnrt_status st;
    size_t n_in = fnrt_shape_elems(&g->tensors[g->input].shape);
    int need_input = 0;
    for (int d = 0; d < p->n_stages; d++)
        if ((mask >> d & 1) && p->stages[d].reads_input)
            need_input = 1;
    sl->stage_mask = mask;
    if (need_input) {
        if (s->queued && s->be->buf_write_async) {
            if ((st = set_queue(s, 0)) != FNRT_OK ||
                (st = s->be->buf_write_async(s->ctx, sl->bufs[g->input], sl->rgb, n_in)) !=
                    FNRT_OK ||
                (st = s->be->event_record(s->ctx, &sl->input_ev)) != FNRT_OK)
                return st;
        } else {
            if ((st = set_queue(s, 0)) != FNRT_OK ||
                (st = s->be->buf_write(s->ctx, sl->bufs[g->input], sl->rgb, n_in)) != FNRT_OK)
                return st;
        }
    }
    for (int d = 0; d < p->n_stages; d++) {
        const fnrt_plan_stage *ps = &p->stages[d];
        if (!(mask >> d & 1))
            continue;
        if ((st = set_queue(s, s->stage_queue[d])) != FNRT_OK)
            return st;
        double t_stage = mono_now();
        if (s->queued) {
            if (ps->reads_input && sl->input_ev &&
                (st = s->be->event_wait(s->ctx, sl->input_ev)) != FNRT_OK)
                return st;
            for (int e = 0; e < p->n_stages; e++)
                if ((ps->deps >> e & 1) && sl->done[e] &&
                    (st = s->be->event_wait(s->ctx, sl->done[e])) != FNRT_OK)
                    return st;
        }
        if ((st = run_ops(s, k, ps->first_op, ps->n_ops, NULL)) != FNRT_OK)
            return st;
        /* outputs, read on the queue of the stage that made them */
        const int out_t[2] = {g->out_normals, g->out_exemplar};
        float *const out_p[2] = {sl->normals, sl->exemplar};
        for (int o = 0; o < 2; o++) {
            if (out_t[o] < 0 || !out_p[o] || p->tensors[out_t[o]].stage != d)
                continue;
            fnrt_buf *b = sl->bufs[out_t[o]];
            size_t n = fnrt_shape_elems(&g->tensors[out_t[o]].shape);
            st = s->queued && s->be->buf_read_async
                     ? s->be->buf_read_async(s->ctx, b, out_p[o], n)
                     : s->be->buf_read(s->ctx, b, out_p[o], n);
            if (st != FNRT_OK)
                return st;
        }
        if (s->queued) {
            if ((st = s->be->event_record(s->ctx, &sl->done[d])) != FNRT_OK)
                return st;
        } else if (s->opts.trace) {
            /* sequential: stage boundaries by waiting */
            if (s->be->finish && (st = s->be->finish(s->ctx)) != FNRT_OK)
                return st;
            s->stage_last_end[d] = mono_now();
            if ((st = trace_add(s, sl->image, d, t_stage, s->stage_last_end[d])) != FNRT_OK)
                return st;
        }
    }
    return FNRT_OK;
}

static fnrt_status trace_add(fnrt_session *s, long image, int stage, double t0, double t1)
{
    if (s->n_trace == s->cap_trace) {
        int cap = s->cap_trace ? 2 * s->cap_trace : 64;
        fnrt_trace_event *t = realloc(s->trace, (size_t)cap * sizeof *t);
        if (!t)
            return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        s->trace = t;
        s->cap_trace = cap;
    }
    fnrt_trace_event *ev = &s->trace[s->n_trace++];
    ev->image = image;
    ev->stage = stage;
    ev->queue = s->stage_queue[stage];
    ev->stage_name = s->plan.stages[stage].name;
    ev->t_start = t0;
    ev->t_end = t1 > t0 ? t1 : t0;
    return FNRT_OK;
}

/* Waits for everything of slot k; records its trace; frees its events. */
static fnrt_status wait_slot(fnrt_session *s, int k)
{
    slot *sl = &s->slots[k];
    const fnrt_plan *p = &s->plan;
    fnrt_status st = FNRT_OK;
    if (!s->queued) {
        if (s->be->finish)
            st = s->be->finish(s->ctx);
        return st;
    }
    double t_in = sl->t_submit, t_end[FNRT_PLAN_MAX_STAGES] = {0};
    if (sl->input_ev && (st = s->be->event_sync(s->ctx, sl->input_ev, &t_in)) != FNRT_OK)
        goto done;
    for (int d = 0; d < p->n_stages; d++)
        if (sl->done[d] && (st = s->be->event_sync(s->ctx, sl->done[d], &t_end[d])) != FNRT_OK)
            goto done;
    if (s->opts.trace) {
        for (int d = 0; d < p->n_stages; d++) {
            if (!sl->done[d])
                continue;
            /* it could start once its queue was free and its inputs were there */
            double t0 = s->stage_last_end[d] > sl->t_submit ? s->stage_last_end[d]
                                                            : sl->t_submit;
            if (p->stages[d].reads_input && t_in > t0)
                t0 = t_in;
            for (int e = 0; e < p->n_stages; e++)
                if ((p->stages[d].deps >> e & 1) && sl->done[e] && t_end[e] > t0)
                    t0 = t_end[e];
            if ((st = trace_add(s, sl->image, d, t0, t_end[d])) != FNRT_OK)
                goto done;
            s->stage_last_end[d] = t_end[d];
        }
    }
done:
    slot_release_events(s, sl);
    return st;
}

static fnrt_status check_outputs_arg(const fnrt_session *s, const char *fn, const float *rgb,
                                     const float *normals, const float *exemplar)
{
    if (!s || !rgb || !normals)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "%s: NULL argument", fn);
    if (exemplar && s->model->graph.out_exemplar < 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "%s: a %s model has no exemplar output", fn,
                          s->model->architecture);
    return FNRT_OK;
}

fnrt_status fnrt_session_submit(fnrt_session *s, const float *rgb, float *normals,
                                float *exemplar, void *user)
{
    fnrt_status st = check_outputs_arg(s, "fnrt_session_submit", rgb, normals, exemplar);
    if (st != FNRT_OK)
        return st;
    if (s->abandoned)
        return fnrt_error(FNRT_ERR_TIMEOUT, "session abandoned after a timeout; create a new "
                          "one");
    if (s->n_in_flight >= s->depth)
        return fnrt_error(FNRT_ERR_LIMIT, "fnrt_session_submit: %d images already in flight "
                          "(collect one first)", s->n_in_flight);
    const fnrt_graph *g = &s->model->graph;
    int k = (s->head + s->n_in_flight) % s->depth;
    slot *sl = &s->slots[k];
    memcpy(sl->rgb, rgb, fnrt_shape_elems(&g->tensors[g->input].shape) * sizeof(float));
    sl->normals = normals;
    sl->exemplar = exemplar;
    sl->user = user;
    sl->image = s->n_submitted;
    sl->t_submit = mono_now();
    unsigned all = s->plan.n_stages >= 32 ? ~0u : (1u << s->plan.n_stages) - 1;
    st = enqueue_image(s, k, all);
    if (st != FNRT_OK) {
        /* leave nothing half-enqueued behind: wait for what was, then drop the slot */
        if (s->be->finish)
            s->be->finish(s->ctx);
        slot_release_events(s, sl);
        return st;
    }
    sl->busy = 1;
    s->n_in_flight++;
    s->n_submitted++;
    return FNRT_OK;
}

fnrt_status fnrt_session_collect(fnrt_session *s, void **user)
{
    if (!s)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_collect: NULL argument");
    if (s->n_in_flight == 0)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_collect: no image in flight");
    int k = s->head;
    slot *sl = &s->slots[k];
    fnrt_status st = FNRT_OK;
    /* bounded wait (fnrt_session_set_timeout): on timeout the backend context is dead */
    if (s->abandoned)
        st = fnrt_error(FNRT_ERR_TIMEOUT, "session abandoned after a timeout; create a new one");
    else if (s->timeout_s > 0.0 && s->be->finish_timeout &&
             (st = s->be->finish_timeout(s->ctx, s->timeout_s)) == FNRT_ERR_TIMEOUT)
        s->abandoned = 1;
    if (st == FNRT_OK)
        st = wait_slot(s, k);
    else
        slot_release_events(s, sl); /* on an abandoned context: leaked, not waited for */
    sl->busy = 0;
    s->head = (s->head + 1) % s->depth;
    s->n_in_flight--;
    if (user)
        *user = sl->user;
    return st;
}

fnrt_status fnrt_session_infer(fnrt_session *s, const float *rgb, float *normals,
                               float *exemplar)
{
    fnrt_status st = check_outputs_arg(s, "fnrt_session_infer", rgb, normals, exemplar);
    if (st != FNRT_OK)
        return st;
    /* an image of a stream must not be overtaken: drain first */
    while (s->n_in_flight > 0)
        if ((st = fnrt_session_collect(s, NULL)) != FNRT_OK)
            return st;
    if ((st = fnrt_session_submit(s, rgb, normals, exemplar, NULL)) != FNRT_OK)
        return st;
    return fnrt_session_collect(s, NULL);
}

fnrt_status fnrt_session_set_timeout(fnrt_session *s, double seconds)
{
    if (!s || !(seconds >= 0.0))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_set_timeout: bad argument");
    if (seconds > 0.0 && !s->be->finish_timeout)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "backend '%s' cannot bound its waits (it runs "
                          "synchronously on the calling thread)", s->be->name);
    s->timeout_s = seconds;
    return FNRT_OK;
}

int fnrt_session_trace_get(const fnrt_session *s, int i, fnrt_trace_event *ev)
{
    if (!s || i < 0 || i >= s->n_trace)
        return 0;
    *ev = s->trace[i];
    return 1;
}

fnrt_status fnrt_session_profile_ops(fnrt_session *s, const float *rgb, double *seconds)
{
    if (!s || !rgb || !seconds)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_profile_ops: NULL argument");
    if (s->n_in_flight)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_session_profile_ops: images in flight");
    const fnrt_graph *g = &s->model->graph;
    fnrt_status st;
    int k = s->head;
    if ((st = set_queue(s, 0)) != FNRT_OK ||
        (st = s->be->buf_write(s->ctx, s->slots[k].bufs[g->input], rgb,
                               fnrt_shape_elems(&g->tensors[g->input].shape))) != FNRT_OK)
        return st;
    if (s->be->finish && (st = s->be->finish(s->ctx)) != FNRT_OK)
        return st;
    return run_ops(s, k, 0, g->n_ops, seconds);
}

/* ---- high resolution ---- */

/* Tile origins along an axis of n pixels for tiles of t with at least ov overlap. */
static int tile_origins(int n, int t, int ov, int *org, int max)
{
    int cnt = n <= t ? 1 : (n - ov + (t - ov) - 1) / (t - ov);
    if (cnt > max)
        return -1;
    for (int i = 0; i < cnt; i++)
        org[i] = cnt == 1 ? 0 : (int)((double)i * (n - t) / (cnt - 1) + 0.5);
    return cnt;
}

static double smooth01(double x)
{
    x = x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
    return x * x * (3.0 - 2.0 * x);
}

/* Blend weight of position x (0..t-1 inside tile i of cnt along an axis): rises over the
 * overlap with the previous tile, falls over the overlap with the next; never 0 inside. */
static double tile_weight(const int *org, int cnt, int i, int t, int x)
{
    double w = 1.0, pos = org[i] + x + 0.5;
    if (i > 0) {
        double ov = org[i - 1] + t - org[i];
        if (ov > 0)
            w *= smooth01((pos - org[i]) / ov);
    }
    if (i + 1 < cnt) {
        double ov = org[i] + t - org[i + 1];
        if (ov > 0)
            w *= smooth01((org[i] + t - pos) / ov);
    }
    return w > 1e-6 ? w : 1e-6;
}

/* Stages the exemplar and style come from: the exemplar's stage and the stages that read
 * only from those (FNR2R: coarse and guide).  The others run per tile. */
static unsigned global_stages(const fnrt_session *s)
{
    const fnrt_plan *p = &s->plan;
    const fnrt_graph *g = &s->model->graph;
    unsigned m = 1u << p->tensors[g->out_exemplar].stage;
    for (int d = 0; d < p->n_stages; d++)
        if (!(m >> d & 1) && !p->stages[d].reads_input && p->stages[d].deps &&
            (p->stages[d].deps & ~m) == 0 && p->tensors[g->out_normals].stage != d)
            m |= 1u << d;
    return m;
}

#define MAX_TILES_PER_AXIS 1024

fnrt_status fnrt_session_infer_highres(fnrt_session *s, const float *rgb, int h, int w,
                                       int overlap, float *normals, float *exemplar)
{
    fnrt_status st = check_outputs_arg(s, "fnrt_session_infer_highres", rgb, normals, exemplar);
    if (st != FNRT_OK)
        return st;
    const fnrt_graph *g = &s->model->graph;
    const int t = g->input_size;
    if (g->out_exemplar < 0)
        return fnrt_error(FNRT_ERR_UNSUPPORTED, "high-resolution refinement needs a model "
                          "with an exemplar stage (%s has none)", s->model->architecture);
    if (h < t || w < t)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "high-resolution refinement needs an image of "
                          "at least %dx%d, not %dx%d", t, t, w, h);
    if (overlap == 0)
        overlap = t / 4;
    if (overlap < 0 || overlap >= t)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "tile overlap %d (must be 0..%d)", overlap,
                          t - 1);
    while (s->n_in_flight > 0)
        if ((st = fnrt_session_collect(s, NULL)) != FNRT_OK)
            return st;
    int ox[MAX_TILES_PER_AXIS], oy[MAX_TILES_PER_AXIS];
    int nx = tile_origins(w, t, overlap, ox, MAX_TILES_PER_AXIS);
    int ny = tile_origins(h, t, overlap, oy, MAX_TILES_PER_AXIS);
    if (nx < 0 || ny < 0)
        return fnrt_error(FNRT_ERR_LIMIT, "image %dx%d needs more than %d tiles per side", w,
                          h, MAX_TILES_PER_AXIS);

    size_t plane_t = (size_t)t * t, plane = (size_t)h * w;
    float *tile_n = malloc(3 * plane_t * sizeof(float));
    float *ex = exemplar ? NULL : malloc(3 * plane_t * sizeof(float));
    double *wy = malloc((size_t)t * sizeof(double)), *wx = malloc((size_t)t * sizeof(double));
    if (!tile_n || (!exemplar && !ex) || !wx || !wy) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    int k = s->head;
    slot *sl = &s->slots[k];
    unsigned glob = global_stages(s);
    unsigned all = s->plan.n_stages >= 32 ? ~0u : (1u << s->plan.n_stages) - 1;

    /* 1. exemplar and style at the network size */
    fnrt_image src = {3, h, w, (float *)rgb}, dst = {3, t, t, sl->rgb};
    if ((st = fnrt_image_resize(&src, &dst)) != FNRT_OK)
        goto done;
    sl->normals = NULL;
    sl->exemplar = exemplar ? exemplar : ex;
    sl->image = s->n_submitted++;
    sl->t_submit = mono_now();
    if ((st = enqueue_image(s, k, glob)) != FNRT_OK || (st = wait_slot(s, k)) != FNRT_OK)
        goto done;

    /* 2. the refiner on native-resolution tiles, blended into normals */
    memset(normals, 0, 3 * plane * sizeof(float));
    for (int ty = 0; ty < ny; ty++) {
        for (int y = 0; y < t; y++)
            wy[y] = tile_weight(oy, ny, ty, t, y);
        for (int tx = 0; tx < nx; tx++) {
            for (int x = 0; x < t; x++)
                wx[x] = tile_weight(ox, nx, tx, t, x);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < t; y++)
                    memcpy(sl->rgb + c * plane_t + (size_t)y * t,
                           rgb + c * plane + (size_t)(oy[ty] + y) * w + ox[tx],
                           (size_t)t * sizeof(float));
            sl->normals = tile_n;
            sl->exemplar = NULL;
            sl->t_submit = mono_now();
            if ((st = enqueue_image(s, k, all & ~glob)) != FNRT_OK ||
                (st = wait_slot(s, k)) != FNRT_OK)
                goto done;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < t; y++) {
                    float *dr = normals + c * plane + (size_t)(oy[ty] + y) * w + ox[tx];
                    const float *sr = tile_n + c * plane_t + (size_t)y * t;
                    for (int x = 0; x < t; x++)
                        dr[x] += (float)(wy[y] * wx[x]) * sr[x];
                }
        }
    }
    /* 3. re-normalise the blended vectors */
    for (size_t j = 0; j < plane; j++) {
        double a = normals[j], b = normals[plane + j], c = normals[2 * plane + j];
        double len = sqrt(a * a + b * b + c * c);
        double inv = len > 1e-12 ? 1.0 / len : 0.0;
        normals[j] = (float)(a * inv);
        normals[plane + j] = (float)(b * inv);
        normals[2 * plane + j] = (float)(len > 1e-12 ? c * inv : 1.0);
    }
done:
    if (st != FNRT_OK && s->be->finish)
        s->be->finish(s->ctx);
    if (st != FNRT_OK)
        slot_release_events(s, &s->slots[s->head]);
    free(tile_n);
    free(ex);
    free(wx);
    free(wy);
    return st;
}

double fnrt_session_highres_gflop(const fnrt_session *s, int h, int w, int overlap,
                                  int *n_tiles)
{
    const fnrt_graph *g = &s->model->graph;
    int t = g->input_size, ox[MAX_TILES_PER_AXIS], oy[MAX_TILES_PER_AXIS];
    *n_tiles = 0;
    if (g->out_exemplar < 0 || h < t || w < t)
        return 0.0;
    if (overlap <= 0 || overlap >= t)
        overlap = t / 4;
    int nx = tile_origins(w, t, overlap, ox, MAX_TILES_PER_AXIS);
    int ny = tile_origins(h, t, overlap, oy, MAX_TILES_PER_AXIS);
    if (nx < 0 || ny < 0)
        return 0.0;
    *n_tiles = nx * ny;
    unsigned glob = global_stages(s);
    double gf = 0.0;
    for (int d = 0; d < s->plan.n_stages; d++)
        gf += s->plan.stages[d].gflop * ((glob >> d & 1) ? 1.0 : (double)(nx * ny));
    return gf;
}
