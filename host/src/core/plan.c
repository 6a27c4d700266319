/* Execution plan: stage partition and dependencies, liveness-based memory plan, tiled
 * chains (see plan.h). */
#include "core/plan.h"
#include "core/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t tensor_bytes(const fnrt_gtensor *t)
{
    return (uint64_t)fnrt_shape_elems(&t->shape) * sizeof(float);
}

void fnrt_plan_free(fnrt_plan *p)
{
    if (!p)
        return;
    free(p->op_stage);
    free(p->tensors);
    free(p->blocks);
    memset(p, 0, sizeof *p);
}

int fnrt_plan_chain_of(const fnrt_plan *p, int op)
{
    for (int c = 0; c < p->n_chains; c++)
        if (op >= p->chains[c].first_op && op < p->chains[c].first_op + p->chains[c].n_ops)
            return c;
    return -1;
}

/* Stages covering [0, n_ops): the graph's own, plus "opsN" stages for ops outside them. */
static fnrt_status make_stages(const fnrt_graph *g, fnrt_plan *p)
{
    int op = 0;
    for (int k = 0; k <= g->n_stages; k++) {
        int next = k < g->n_stages ? g->stages[k].first_op : g->n_ops;
        for (int pass = 0; pass < 2; pass++) {
            int first = pass == 0 ? op : next;
            int n = pass == 0 ? next - op : (k < g->n_stages ? g->stages[k].n_ops : 0);
            if (n <= 0)
                continue;
            if (p->n_stages >= FNRT_PLAN_MAX_STAGES)
                return fnrt_error(FNRT_ERR_INTERNAL, "plan: more than %d stages",
                                  FNRT_PLAN_MAX_STAGES);
            fnrt_plan_stage *s = &p->stages[p->n_stages];
            if (pass == 0)
                snprintf(s->name, sizeof s->name, "ops%d", first);
            else
                snprintf(s->name, sizeof s->name, "%s", g->stages[k].name);
            s->first_op = first;
            s->n_ops = n;
            for (int i = first; i < first + n; i++)
                p->op_stage[i] = p->n_stages;
            p->n_stages++;
        }
        if (k < g->n_stages)
            op = g->stages[k].first_op + g->stages[k].n_ops;
    }
    return FNRT_OK;
}

/* Greedy interval allocation of one stage's local tensors into blocks, unit by unit (an op,
 * or a whole tiled chain, whose bands interleave its ops): the outputs of a unit take the
 * best-fitting free blocks (growing the largest free one if none fits), and the blocks of
 * tensors last read in the unit are freed after it (never before: an output must not alias
 * anything its unit reads). */
static fnrt_status plan_pool(const fnrt_graph *g, fnrt_plan *p, int stage, int share)
{
    const fnrt_plan_stage *s = &p->stages[stage];
    int *busy = NULL; /* per block: tensor id occupying it or -1 */
    int first_block = p->n_blocks;
    fnrt_status st = FNRT_OK;
    for (int i = s->first_op; i < s->first_op + s->n_ops;) {
        int c = fnrt_plan_chain_of(p, i);
        int unit_end = c >= 0 ? p->chains[c].first_op + p->chains[c].n_ops - 1 : i;
        for (int j = i; j <= unit_end; j++) {
            int t = g->ops[j].out;
            fnrt_plan_tensor *pt = &p->tensors[t];
            if (pt->place != FNRT_PLACE_POOL)
                continue;
            /* the smallest free block that fits, else the largest free one, grown */
            int fit = -1, grow = -1;
            for (int b = first_block; share && b < p->n_blocks; b++) {
                uint64_t sz = p->blocks[b].n_bytes;
                if (busy[b - first_block] >= 0)
                    continue;
                if (sz >= pt->n_bytes) {
                    if (fit < 0 || sz < p->blocks[fit].n_bytes)
                        fit = b;
                } else if (grow < 0 || sz > p->blocks[grow].n_bytes) {
                    grow = b;
                }
            }
            int best = fit >= 0 ? fit : grow;
            if (best < 0) {
                fnrt_plan_block *nb = realloc(p->blocks, (size_t)(p->n_blocks + 1) * sizeof *nb);
                if (nb)
                    p->blocks = nb;
                int *nbusy = realloc(busy, (size_t)(p->n_blocks + 1 - first_block) * sizeof *nbusy);
                if (nbusy)
                    busy = nbusy;
                if (!nb || !nbusy) {
                    st = fnrt_error(FNRT_ERR_NOMEM, "plan: out of memory");
                    goto done;
                }
                best = p->n_blocks++;
                p->blocks[best].stage = stage;
                p->blocks[best].n_bytes = 0;
            }
            if (p->blocks[best].n_bytes < pt->n_bytes)
                p->blocks[best].n_bytes = pt->n_bytes;
            busy[best - first_block] = t;
            pt->block = best;
        }
        /* free what the unit read for the last time, and outputs nobody reads */
        for (int b = first_block; b < p->n_blocks; b++) {
            int u = busy[b - first_block];
            if (u >= 0 && p->tensors[u].last <= unit_end)
                busy[b - first_block] = -1;
        }
        i = unit_end + 1;
    }
done:
    free(busy);
    return st;
}

/* Ops whose band of output rows needs only a band of input rows of the same height (plus
 * a halo): stride-1 convolutions with "same" padding and per-pixel ops. */
static int tileable(const fnrt_op *op, int *halo)
{
    *halo = 0;
    switch (op->type) {
    case FNRT_OP_CONV2D:
        if (op->p.conv.stride != 1 || op->p.conv.kh != op->p.conv.kw || op->p.conv.kh % 2 == 0 ||
            op->p.conv.pad != op->p.conv.kh / 2)
            return 0;
        *halo = op->p.conv.kh / 2;
        return 1;
    default:
        return 0;
    }
}

/* Chains of >= 2 tileable ops of one stage at the full input resolution, each reading the
 * previous one's output as its x, intermediate outputs read by nothing else. */
static void plan_chains(const fnrt_graph *g, fnrt_plan *p, int tile_rows)
{
    if (tile_rows <= 0)
        return;
    for (int i = 0; i < g->n_ops && p->n_chains < FNRT_PLAN_MAX_CHAINS;) {
        const fnrt_op *op = &g->ops[i];
        int h0;
        if (!tileable(op, &h0) || op->out_shape.dims[1] < g->input_size ||
            op->out_shape.dims[1] <= tile_rows) {
            i++;
            continue;
        }
        int n = 1;
        while (i + n < g->n_ops && n < FNRT_PLAN_MAX_CHAIN_OPS) {
            const fnrt_op *prev = &g->ops[i + n - 1], *next = &g->ops[i + n];
            int h;
            const fnrt_plan_tensor *pt = &p->tensors[prev->out];
            if (p->op_stage[i + n] != p->op_stage[i] || !tileable(next, &h) ||
                next->in[0] != prev->out || pt->place != FNRT_PLACE_POOL ||
                pt->last != i + n || next->out_shape.dims[1] != op->out_shape.dims[1] ||
                next->out_shape.dims[2] != op->out_shape.dims[2])
                break;
            int other_use = 0;
            for (int k = 1; k < next->n_in; k++)
                if (next->in[k] == prev->out)
                    other_use = 1;
            if (other_use)
                break;
            n++;
        }
        if (n < 2) {
            i++;
            continue;
        }
        fnrt_plan_chain *c = &p->chains[p->n_chains++];
        memset(c, 0, sizeof *c);
        c->stage = p->op_stage[i];
        c->first_op = i;
        c->n_ops = n;
        c->out_h = (int)op->out_shape.dims[1];
        c->out_w = (int)op->out_shape.dims[2];
        c->tile_rows = tile_rows;
        /* op k's band must cover the bands the later ops read: halo[k] rows on each side */
        int acc = 0;
        for (int k = n - 1; k >= 0; k--) {
            int h;
            tileable(&g->ops[i + k], &h);
            c->halo[k] = acc + h;
            acc += h;
        }
        for (int k = 0; k + 1 < n; k++) {
            const fnrt_op *o = &g->ops[i + k];
            int h_next;
            tileable(&g->ops[i + k + 1], &h_next);
            uint64_t row_bytes = (uint64_t)o->out_shape.dims[0] * o->out_shape.dims[2] * 4;
            /* what band 0 writes (tile + the later halo) and what a band reads (tile + 2 x
             * the next op's halo) must fit */
            int rows = tile_rows + c->halo[k + 1] + h_next;
            if (rows > c->out_h)
                rows = c->out_h;
            fnrt_plan_tensor *pt = &p->tensors[o->out];
            pt->place = FNRT_PLACE_RING;
            pt->ring_rows = rows;
            c->ring_bytes += row_bytes * (uint64_t)rows;
            c->full_bytes += row_bytes * (uint64_t)c->out_h;
        }
        p->ring_bytes += c->ring_bytes;
        i += n;
    }
}

fnrt_status fnrt_plan_build(const fnrt_graph *g, int share, int tile_rows, fnrt_plan *p)
{
    fnrt_status st;
    memset(p, 0, sizeof *p);
    if (g->status != FNRT_OK || g->n_ops <= 0)
        return fnrt_error(FNRT_ERR_INTERNAL, "plan: the graph is empty or broken");
    p->n_tensors = g->n_tensors;
    p->op_stage = calloc((size_t)g->n_ops, sizeof *p->op_stage);
    p->tensors = calloc((size_t)g->n_tensors, sizeof *p->tensors);
    if (!p->op_stage || !p->tensors) {
        st = fnrt_error(FNRT_ERR_NOMEM, "plan: out of memory");
        goto fail;
    }
    if ((st = make_stages(g, p)) != FNRT_OK)
        goto fail;

    /* lifetimes */
    for (int t = 0; t < g->n_tensors; t++) {
        fnrt_plan_tensor *pt = &p->tensors[t];
        pt->stage = -1;
        pt->first = pt->last = -1;
        pt->block = -1;
        pt->n_bytes = tensor_bytes(&g->tensors[t]);
    }
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] >= 0)
                p->tensors[op->in[k]].last = i;
        p->tensors[op->out].first = i;
        p->tensors[op->out].stage = p->op_stage[i];
        if (p->tensors[op->out].last < i)
            p->tensors[op->out].last = i;
    }

    /* placement and stage dependencies */
    for (int t = 0; t < g->n_tensors; t++) {
        fnrt_plan_tensor *pt = &p->tensors[t];
        const fnrt_gtensor *gt = &g->tensors[t];
        if (gt->kind == FNRT_TENSOR_PARAM)
            pt->place = FNRT_PLACE_PARAM;
        else if (gt->kind == FNRT_TENSOR_INPUT || t == g->out_normals || t == g->out_exemplar)
            pt->place = FNRT_PLACE_SLOT;
        else if (pt->first >= 0)
            pt->place = FNRT_PLACE_POOL;
    }
    for (int i = 0; i < g->n_ops; i++) {
        const fnrt_op *op = &g->ops[i];
        int s = p->op_stage[i];
        for (int k = 0; k < op->n_in; k++) {
            int t = op->in[k];
            if (t < 0)
                continue;
            fnrt_plan_tensor *pt = &p->tensors[t];
            if (pt->place == FNRT_PLACE_PARAM)
                continue;
            if (g->tensors[t].kind == FNRT_TENSOR_INPUT) {
                p->stages[s].reads_input = 1;
                continue;
            }
            if (pt->stage != s && pt->stage >= 0) {
                pt->place = FNRT_PLACE_SLOT;
                p->stages[s].deps |= 1u << pt->stage;
            }
        }
    }
    /* per-stage byte counts (each hand-off tensor counted once per reading stage) */
    for (int s = 0; s < p->n_stages; s++) {
        fnrt_plan_stage *ps = &p->stages[s];
        char *seen = calloc((size_t)g->n_tensors, 1);
        if (!seen) {
            st = fnrt_error(FNRT_ERR_NOMEM, "plan: out of memory");
            goto fail;
        }
        double macs = 0.0;
        for (int i = ps->first_op; i < ps->first_op + ps->n_ops; i++) {
            const fnrt_op *op = &g->ops[i];
            macs += fnrt_op_macs(op);
            for (int k = 0; k < op->n_in; k++) {
                int t = op->in[k];
                if (t < 0 || seen[t])
                    continue;
                seen[t] = 1;
                const fnrt_plan_tensor *pt = &p->tensors[t];
                if (pt->place == FNRT_PLACE_PARAM)
                    ps->weight_bytes += pt->n_bytes;
                else if (pt->place == FNRT_PLACE_SLOT && pt->stage != s)
                    ps->in_bytes += pt->n_bytes;
            }
        }
        ps->gflop = 2.0 * macs * 1e-9;
        free(seen);
    }
    for (int t = 0; t < g->n_tensors; t++) {
        const fnrt_plan_tensor *pt = &p->tensors[t];
        if (pt->place == FNRT_PLACE_SLOT) {
            p->slot_bytes += pt->n_bytes;
            if (pt->stage >= 0)
                p->stages[pt->stage].out_bytes += pt->n_bytes;
        } else if (pt->place == FNRT_PLACE_PARAM) {
            p->param_bytes += pt->n_bytes;
        } else if (pt->place == FNRT_PLACE_POOL) {
            p->stages[pt->stage].naive_bytes += pt->n_bytes;
        }
        if (pt->place == FNRT_PLACE_SLOT || pt->place == FNRT_PLACE_POOL)
            p->naive_bytes += pt->n_bytes;
    }

    plan_chains(g, p, tile_rows);
    /* A chain runs band by band, its ops interleaved: whatever one of its ops reads must stay
     * live until the chain's last op, or the chain's output (allocated at that op) could
     * take the block of an input a later band still reads (seen with the cross-modal
     * decoder: conv_last's output overwrote merge_original between bands). */
    for (int c = 0; c < p->n_chains; c++) {
        const fnrt_plan_chain *ch = &p->chains[c];
        int z = ch->first_op + ch->n_ops - 1;
        for (int i = ch->first_op; i <= z; i++)
            for (int k = 0; k < g->ops[i].n_in; k++) {
                int t = g->ops[i].in[k];
                if (t >= 0 && p->tensors[t].last < z)
                    p->tensors[t].last = z;
            }
    }
    for (int s = 0; s < p->n_stages; s++)
        if ((st = plan_pool(g, p, s, share)) != FNRT_OK)
            goto fail;
    for (int b = 0; b < p->n_blocks; b++) {
        p->stages[p->blocks[b].stage].pool_bytes += p->blocks[b].n_bytes;
        p->pool_bytes += p->blocks[b].n_bytes;
    }
    return FNRT_OK;
fail:
    fnrt_plan_free(p);
    return st;
}

int fnrt_model_op_info(const fnrt_model *m, int i, fnrt_op_info *info)
{
    const fnrt_graph *g = &m->graph;
    if (i < 0 || i >= g->n_ops)
        return 0;
    const fnrt_op *op = &g->ops[i];
    memset(info, 0, sizeof *info);
    info->name = op->name;
    info->type = fnrt_op_type_str(op->type);
    info->stage = "-";
    info->stage_index = -1;
    for (int k = 0; k < g->n_stages; k++)
        if (i >= g->stages[k].first_op && i < g->stages[k].first_op + g->stages[k].n_ops) {
            info->stage = g->stages[k].name;
            info->stage_index = k;
        }
    info->out_c = (int)op->out_shape.dims[0];
    info->out_h = op->out_shape.ndim >= 2 ? (int)op->out_shape.dims[1] : 1;
    info->out_w = op->out_shape.ndim >= 3 ? (int)op->out_shape.dims[2] : 1;
    info->gflop = 2.0 * fnrt_op_macs(op) * 1e-9;
    return 1;
}
