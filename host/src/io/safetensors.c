/* Safetensors reader.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON, then the data area.  The JSON
 * object maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the data area) plus an optional "__metadata__" object of string -> string.
 *
 * Everything taken from the file is checked before use: header length against the limit and
 * the file size, dtype names, shape (non-negative, at most FNRT_ST_MAX_DIMS dims, no overflow),
 * offsets inside the data area, span == n_elems * element size, no overlap, unique names. */
#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_DEFAULT_MAX_HEADER (100ull << 20)
#define ST_DEFAULT_MAX_FILE (8ull << 30)
#define ST_DEFAULT_MAX_TENSORS 100000ull

struct fnrt_safetensors {
    char *name;              /* file path or "<memory>", for messages */
    const uint8_t *image;    /* whole file image */
    size_t n_bytes;          /* its size */
    void *map;               /* mmap'ed region (munmap on close) or NULL */
    void *owned;             /* malloc'ed copy (free on close) or NULL */
    const uint8_t *data;     /* data area = image + 8 + header length */
    uint64_t data_bytes;     /* its size */
    fnrt_st_tensor *tensors; /* in header order */
    size_t n_tensors;
    size_t *by_name; /* indices into tensors, sorted by name */
    char **meta_keys;
    char **meta_values;
    size_t n_meta;
};

/* ---- dtypes ------------------------------------------------------------------------------ */

struct st_dtype_info {
    const char *name;
    fnrt_dtype dt;
    unsigned elem_bytes;
};

static const struct st_dtype_info st_dtypes[] = {
    {"F32", FNRT_DT_F32, 4},       {"F16", FNRT_DT_F16, 2},       {"BF16", FNRT_DT_BF16, 2},
    {"I32", FNRT_DT_I32, 4},       {"U8", FNRT_DT_U8, 1},         {"F64", FNRT_DT_OTHER, 8},
    {"I64", FNRT_DT_OTHER, 8},     {"U64", FNRT_DT_OTHER, 8},     {"U32", FNRT_DT_OTHER, 4},
    {"I16", FNRT_DT_OTHER, 2},     {"U16", FNRT_DT_OTHER, 2},     {"I8", FNRT_DT_OTHER, 1},
    {"BOOL", FNRT_DT_OTHER, 1},    {"F8_E4M3", FNRT_DT_OTHER, 1}, {"F8_E5M2", FNRT_DT_OTHER, 1},
    {"F8_E8M0", FNRT_DT_OTHER, 1},
};

const char *fnrt_dtype_str(fnrt_dtype dt)
{
    switch (dt) {
    case FNRT_DT_F32:
        return "F32";
    case FNRT_DT_F16:
        return "F16";
    case FNRT_DT_BF16:
        return "BF16";
    case FNRT_DT_I32:
        return "I32";
    case FNRT_DT_U8:
        return "U8";
    case FNRT_DT_OTHER:
        return "other";
    }
    return "unknown";
}

static const struct st_dtype_info *st_dtype_lookup(const char *s)
{
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (strcmp(st_dtypes[i].name, s) == 0)
            return &st_dtypes[i];
    return NULL;
}

/* ---- half / bfloat16 ------------------------------------------------------------------- */

static float st_bits_to_f32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE binary16 -> binary32, exact for every input (subnormals, inf, nan payloads). */
static float st_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;

    if (exp == 0) {
        if (mant == 0) {
            bits = sign; /* +-0 */
        } else {
            /* subnormal: mant * 2^-24; normalise so that the leading 1 reaches bit 10 */
            int e = -14;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                e--;
            }
            mant &= 0x3ffu;
            bits = sign | ((uint32_t)(e + 127) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13); /* inf, or nan keeping its payload */
    } else {
        bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    return st_bits_to_f32(bits);
}

static float st_bf16_to_f32(uint16_t b)
{
    return st_bits_to_f32((uint32_t)b << 16);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static char *st_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static uint64_t st_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void st_free(fnrt_safetensors *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_tensors; i++)
        free(st->tensors[i].name);
    free(st->tensors);
    free(st->by_name);
    for (size_t i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->meta_keys);
    free(st->meta_values);
    if (st->map)
        munmap(st->map, st->n_bytes);
    free(st->owned);
    free(st->name);
    free(st);
}

void fnrt_safetensors_close(fnrt_safetensors *st)
{
    st_free(st);
}

void fnrt_safetensors_drop_pages(fnrt_safetensors *st)
{
    /* a private read-only file mapping: dropped pages are re-read from the file on access */
    if (st && st->map && st->n_bytes > 0)
        (void)madvise(st->map, st->n_bytes, MADV_DONTNEED);
}

/* Reads a JSON integer that must be >= 0. */
static int st_json_u64(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v))
        return 0;
    json_int_t i = json_integer_value(v);
    if (i < 0)
        return 0;
    *out = (uint64_t)i;
    return 1;
}

/* qsort comparators need the tensor table; these sort arrays of pointers instead. */
static int st_cmp_name(const void *a, const void *b)
{
    const fnrt_st_tensor *ta = *(const fnrt_st_tensor *const *)a;
    const fnrt_st_tensor *tb = *(const fnrt_st_tensor *const *)b;
    return strcmp(ta->name, tb->name);
}

static int st_cmp_begin(const void *a, const void *b)
{
    const fnrt_st_tensor *ta = *(const fnrt_st_tensor *const *)a;
    const fnrt_st_tensor *tb = *(const fnrt_st_tensor *const *)b;
    if (ta->begin != tb->begin)
        return ta->begin < tb->begin ? -1 : 1;
    if (ta->end != tb->end)
        return ta->end < tb->end ? -1 : 1;
    return 0;
}

static void st_shape_str(const fnrt_st_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && used < n; d++)
        used +=
            (size_t)snprintf(buf + used, n - used, d ? ", %lld" : "%lld", (long long)t->shape[d]);
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* ---- parsing ----------------------------------------------------------------------------- */

static fnrt_status st_parse_metadata(fnrt_safetensors *st, const json_t *meta)
{
    const char *key;
    json_t *val;

    if (!json_is_object(meta))
        return fnrt_error(FNRT_ERR_FORMAT, "safetensors %s: \"__metadata__\" is not an object",
                          st->name);
    size_t n = json_object_size(meta);
    if (n == 0)
        return FNRT_OK;
    st->meta_keys = calloc(n, sizeof *st->meta_keys);
    st->meta_values = calloc(n, sizeof *st->meta_values);
    if (!st->meta_keys || !st->meta_values)
        return fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory for metadata", st->name);
    json_object_foreach((json_t *)meta, key, val)
    {
        if (!json_is_string(val))
            return fnrt_error(FNRT_ERR_FORMAT,
                              "safetensors %s: metadata value for \"%s\" is not a string", st->name,
                              key);
        size_t i = st->n_meta;
        st->meta_keys[i] = st_strdup(key);
        st->meta_values[i] = st_strdup(json_string_value(val));
        if (st->meta_keys[i] || st->meta_values[i])
            st->n_meta++; /* counted as soon as either needs freeing */
        if (!st->meta_keys[i] || !st->meta_values[i])
            return fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory for metadata",
                              st->name);
    }
    return FNRT_OK;
}

/* Parses one tensor entry into t (t->name already set). */
static fnrt_status st_parse_tensor(const fnrt_safetensors *st, const json_t *entry,
                                   fnrt_st_tensor *t)
{
    const char *nm = t->name;
    if (!json_is_object(entry))
        return fnrt_error(FNRT_ERR_FORMAT, "safetensors %s: tensor '%s': entry is not an object",
                          st->name, nm);

    /* dtype */
    const json_t *jdt = json_object_get(entry, "dtype");
    if (!json_is_string(jdt))
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': missing or non-string \"dtype\"", st->name,
                          nm);
    const struct st_dtype_info *dti = st_dtype_lookup(json_string_value(jdt));
    if (!dti)
        return fnrt_error(FNRT_ERR_FORMAT, "safetensors %s: tensor '%s': unknown dtype \"%s\"",
                          st->name, nm, json_string_value(jdt));
    t->dtype = dti->dt;

    /* shape */
    const json_t *jshape = json_object_get(entry, "shape");
    if (!json_is_array(jshape))
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': missing or non-array \"shape\"", st->name,
                          nm);
    size_t ndim = json_array_size(jshape);
    if (ndim > FNRT_ST_MAX_DIMS)
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': %zu dimensions (at most %d supported)",
                          st->name, nm, ndim, FNRT_ST_MAX_DIMS);
    uint64_t n_elems = 1;
    int overflow = 0;
    for (size_t d = 0; d < ndim; d++) {
        uint64_t dim;
        if (!st_json_u64(json_array_get(jshape, d), &dim))
            return fnrt_error(FNRT_ERR_FORMAT,
                              "safetensors %s: tensor '%s': shape[%zu] is not a non-negative "
                              "integer",
                              st->name, nm, d);
        t->shape[d] = (int64_t)dim; /* dim <= INT64_MAX: it came from a json_int_t >= 0 */
        if (dim != 0 && n_elems > UINT64_MAX / dim)
            overflow = 1;
        else
            n_elems *= dim;
    }
    t->ndim = (int)ndim;
    /* a zero dimension makes the product 0 even if other dims overflowed on their own */
    for (size_t d = 0; d < ndim; d++)
        if (t->shape[d] == 0) {
            overflow = 0;
            n_elems = 0;
        }
    if (overflow || n_elems > UINT64_MAX / dti->elem_bytes)
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': element count of shape overflows", st->name,
                          nm);
    t->n_elems = n_elems;
    uint64_t n_bytes = n_elems * dti->elem_bytes;

    /* data_offsets */
    const json_t *joff = json_object_get(entry, "data_offsets");
    if (!json_is_array(joff) || json_array_size(joff) != 2)
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': \"data_offsets\" is not [begin, end]",
                          st->name, nm);
    uint64_t begin, end;
    if (!st_json_u64(json_array_get(joff, 0), &begin) ||
        !st_json_u64(json_array_get(joff, 1), &end))
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': \"data_offsets\" are not non-negative "
                          "integers",
                          st->name, nm);
    if (begin > end)
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': data_offsets begin %llu > end %llu",
                          st->name, nm, (unsigned long long)begin, (unsigned long long)end);
    if (end > st->data_bytes)
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': data_offsets end %llu beyond the data "
                          "area of %llu bytes (file truncated?)",
                          st->name, nm, (unsigned long long)end,
                          (unsigned long long)st->data_bytes);
    if (end - begin != n_bytes) {
        char shp[160];
        st_shape_str(t, shp, sizeof shp);
        return fnrt_error(FNRT_ERR_FORMAT,
                          "safetensors %s: tensor '%s': data_offsets [%llu, %llu] span %llu "
                          "bytes but shape %s x %s needs %llu",
                          st->name, nm, (unsigned long long)begin, (unsigned long long)end,
                          (unsigned long long)(end - begin), shp, dti->name,
                          (unsigned long long)n_bytes);
    }
    t->begin = begin;
    t->end = end;
    return FNRT_OK;
}

static fnrt_status st_parse(fnrt_safetensors *st, const fnrt_st_limits *lim)
{
    fnrt_status status = FNRT_OK;
    json_t *root = NULL;
    const fnrt_st_tensor **order = NULL;

    if (st->n_bytes < 8) {
        status = fnrt_error(FNRT_ERR_FORMAT,
                            "safetensors %s: file is %zu bytes, too short for the 8-byte header "
                            "length",
                            st->name, st->n_bytes);
        goto cleanup;
    }
    uint64_t header_bytes = st_le64(st->image);
    if (header_bytes > lim->max_header_bytes) {
        status = fnrt_error(
            FNRT_ERR_LIMIT, "safetensors %s: header of %llu bytes exceeds the limit of %llu",
            st->name, (unsigned long long)header_bytes, (unsigned long long)lim->max_header_bytes);
        goto cleanup;
    }
    if (header_bytes > st->n_bytes - 8) {
        status = fnrt_error(FNRT_ERR_FORMAT,
                            "safetensors %s: header length %llu exceeds the %zu bytes after the "
                            "length field (truncated or not a safetensors file)",
                            st->name, (unsigned long long)header_bytes, st->n_bytes - 8);
        goto cleanup;
    }
    st->data = st->image + 8 + header_bytes;
    st->data_bytes = st->n_bytes - 8 - header_bytes;

    json_error_t jerr;
    root = json_loadb((const char *)st->image + 8, (size_t)header_bytes, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (!root) {
        if (strncmp(jerr.text, "duplicate object key", 20) == 0)
            status = fnrt_error(FNRT_ERR_FORMAT,
                                "safetensors %s: header repeats a key (tensor names must be "
                                "unique): %s",
                                st->name, jerr.text);
        else
            status = fnrt_error(FNRT_ERR_FORMAT,
                                "safetensors %s: header is not valid JSON: %s (at byte %d of "
                                "the header)",
                                st->name, jerr.text, jerr.position);
        goto cleanup;
    }
    if (!json_is_object(root)) {
        status =
            fnrt_error(FNRT_ERR_FORMAT, "safetensors %s: header is not a JSON object", st->name);
        goto cleanup;
    }

    size_t n_entries = json_object_size(root);
    const json_t *meta = json_object_get(root, "__metadata__");
    size_t n_tensors = n_entries - (meta ? 1 : 0);
    if (n_tensors > lim->max_tensors) {
        status = fnrt_error(FNRT_ERR_LIMIT, "safetensors %s: %zu tensors exceed the limit of %llu",
                            st->name, n_tensors, (unsigned long long)lim->max_tensors);
        goto cleanup;
    }
    if (meta) {
        status = st_parse_metadata(st, meta);
        if (status != FNRT_OK)
            goto cleanup;
    }

    if (n_tensors > 0) {
        st->tensors = calloc(n_tensors, sizeof *st->tensors);
        st->by_name = calloc(n_tensors, sizeof *st->by_name);
        order = calloc(n_tensors, sizeof *order);
        if (!st->tensors || !st->by_name || !order) {
            status = fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory for %zu tensors",
                                st->name, n_tensors);
            goto cleanup;
        }
    }

    /* jansson iterates objects in insertion order, i.e. header (file) order */
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        if (st->n_tensors >= n_tensors) { /* cannot happen; guards the table */
            status =
                fnrt_error(FNRT_ERR_INTERNAL, "safetensors %s: tensor count changed", st->name);
            goto cleanup;
        }
        fnrt_st_tensor *t = &st->tensors[st->n_tensors];
        t->name = st_strdup(key);
        if (!t->name) {
            status = fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory", st->name);
            goto cleanup;
        }
        st->n_tensors++;
        status = st_parse_tensor(st, val, t);
        if (status != FNRT_OK)
            goto cleanup;
    }

    /* names are unique (JSON_REJECT_DUPLICATES); keep a sorted index for lookups */
    for (size_t i = 0; i < st->n_tensors; i++)
        order[i] = &st->tensors[i];
    if (st->n_tensors > 1)
        qsort(order, st->n_tensors, sizeof *order, st_cmp_name);
    for (size_t i = 0; i < st->n_tensors; i++) {
        st->by_name[i] = (size_t)(order[i] - st->tensors);
        if (i > 0 && strcmp(order[i - 1]->name, order[i]->name) == 0) {
            status = fnrt_error(FNRT_ERR_FORMAT, "safetensors %s: tensor '%s' appears twice",
                                st->name, order[i]->name);
            goto cleanup;
        }
    }

    /* no two non-empty byte ranges may overlap */
    if (st->n_tensors > 1)
        qsort(order, st->n_tensors, sizeof *order, st_cmp_begin);
    const fnrt_st_tensor *reach = NULL; /* non-empty tensor ending furthest so far */
    for (size_t i = 0; i < st->n_tensors; i++) {
        const fnrt_st_tensor *t = order[i];
        if (t->begin == t->end)
            continue;
        if (reach && t->begin < reach->end) {
            status = fnrt_error(FNRT_ERR_FORMAT,
                                "safetensors %s: tensor '%s' bytes [%llu, %llu) overlap tensor "
                                "'%s' bytes [%llu, %llu)",
                                st->name, t->name, (unsigned long long)t->begin,
                                (unsigned long long)t->end, reach->name,
                                (unsigned long long)reach->begin, (unsigned long long)reach->end);
            goto cleanup;
        }
        if (!reach || t->end > reach->end)
            reach = t;
    }

cleanup:
    free(order);
    json_decref(root);
    return status;
}

static void st_limits(const fnrt_st_limits *in, fnrt_st_limits *out)
{
    out->max_header_bytes = ST_DEFAULT_MAX_HEADER;
    out->max_file_bytes = ST_DEFAULT_MAX_FILE;
    out->max_tensors = ST_DEFAULT_MAX_TENSORS;
    if (in) {
        if (in->max_header_bytes)
            out->max_header_bytes = in->max_header_bytes;
        if (in->max_file_bytes)
            out->max_file_bytes = in->max_file_bytes;
        if (in->max_tensors)
            out->max_tensors = in->max_tensors;
    }
}

fnrt_status fnrt_safetensors_open_mem(const void *data, size_t n_bytes, const fnrt_st_limits *lim,
                                      fnrt_safetensors **out)
{
    fnrt_status status = FNRT_OK;
    fnrt_safetensors *st = NULL;
    fnrt_st_limits l;

    if (!out || (!data && n_bytes > 0))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_safetensors_open_mem: NULL argument");
    st_limits(lim, &l);
    if ((uint64_t)n_bytes > l.max_file_bytes)
        return fnrt_error(FNRT_ERR_LIMIT,
                          "safetensors <memory>: %zu bytes exceed the limit of %llu", n_bytes,
                          (unsigned long long)l.max_file_bytes);
    st = calloc(1, sizeof *st);
    if (!st || !(st->name = st_strdup("<memory>"))) {
        status = fnrt_error(FNRT_ERR_NOMEM, "safetensors <memory>: out of memory");
        goto cleanup;
    }
    st->image = data;
    st->n_bytes = n_bytes;
    status = st_parse(st, &l);
    if (status != FNRT_OK)
        goto cleanup;
    *out = st;
    st = NULL;
cleanup:
    st_free(st);
    return status;
}

/* Reads a non-mappable stream (pipe) or a file whose mmap failed, up to max_bytes. */
static fnrt_status st_read_fd(int fd, const char *path, uint64_t max_bytes, int regular,
                              size_t size_hint, void **buf_out, size_t *n_out)
{
    fnrt_status status = FNRT_OK;
    size_t cap = regular ? (size_hint ? size_hint : 1) : 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: cannot allocate %zu bytes", path, cap);
    for (;;) {
        if (n == cap) {
            if (regular)
                break; /* read exactly the size fstat reported */
            /* grow to at most max_bytes + 1: one byte more tells that the limit is exceeded */
            uint64_t new_cap = cap <= SIZE_MAX / 2 ? (uint64_t)cap * 2 : SIZE_MAX;
            if (new_cap > max_bytes + 1)
                new_cap = max_bytes + 1;
            if (new_cap <= cap || new_cap > SIZE_MAX) {
                status = fnrt_error(FNRT_ERR_LIMIT,
                                    "safetensors %s: stream exceeds the limit of %llu bytes", path,
                                    (unsigned long long)max_bytes);
                goto cleanup;
            }
            uint8_t *nb = realloc(buf, (size_t)new_cap);
            if (!nb) {
                status = fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory", path);
                goto cleanup;
            }
            buf = nb;
            cap = (size_t)new_cap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            status =
                fnrt_error(FNRT_ERR_IO, "safetensors %s: read failed: %s", path, strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (regular && n != size_hint) {
        status = fnrt_error(FNRT_ERR_IO, "safetensors %s: read %zu of %zu bytes (file changed?)",
                            path, n, size_hint);
        goto cleanup;
    }
    if ((uint64_t)n > max_bytes) {
        status = fnrt_error(FNRT_ERR_LIMIT, "safetensors %s: %zu bytes exceed the limit of %llu",
                            path, n, (unsigned long long)max_bytes);
        goto cleanup;
    }
    *buf_out = buf;
    *n_out = n;
    buf = NULL;
cleanup:
    free(buf);
    return status;
}

fnrt_status fnrt_safetensors_open(const char *path, const fnrt_st_limits *lim,
                                  fnrt_safetensors **out)
{
    fnrt_status status = FNRT_OK;
    fnrt_safetensors *st = NULL;
    fnrt_st_limits l;
    int fd = -1;
    struct stat sb;

    if (!path || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_safetensors_open: NULL argument");
    st_limits(lim, &l);

    st = calloc(1, sizeof *st);
    if (!st || !(st->name = st_strdup(path))) {
        status = fnrt_error(FNRT_ERR_NOMEM, "safetensors %s: out of memory", path);
        goto cleanup;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        status = fnrt_error(FNRT_ERR_IO, "safetensors %s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    if (fstat(fd, &sb) != 0) {
        status = fnrt_error(FNRT_ERR_IO, "safetensors %s: cannot stat: %s", path, strerror(errno));
        goto cleanup;
    }
    if (S_ISDIR(sb.st_mode)) {
        status = fnrt_error(FNRT_ERR_IO, "safetensors %s: is a directory", path);
        goto cleanup;
    }
    int regular = S_ISREG(sb.st_mode);
    if (regular) {
        if (sb.st_size < 0 || (uint64_t)sb.st_size > l.max_file_bytes ||
            (uint64_t)sb.st_size > SIZE_MAX) {
            status = fnrt_error(FNRT_ERR_LIMIT,
                                "safetensors %s: file of %lld bytes exceeds the limit of %llu",
                                path, (long long)sb.st_size, (unsigned long long)l.max_file_bytes);
            goto cleanup;
        }
        st->n_bytes = (size_t)sb.st_size;
        if (st->n_bytes > 0) {
            void *m = mmap(NULL, st->n_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m != MAP_FAILED) {
                st->map = m;
                st->image = m;
            }
        }
    }
    if (!st->map) {
        /* empty file, pipe, or a file system that cannot mmap: plain read() */
        void *buf = NULL;
        size_t n = 0;
        status = st_read_fd(fd, path, l.max_file_bytes, regular, st->n_bytes, &buf, &n);
        if (status != FNRT_OK)
            goto cleanup;
        st->owned = buf;
        st->image = buf;
        st->n_bytes = n;
    }
    status = st_parse(st, &l);
    if (status != FNRT_OK)
        goto cleanup;
    *out = st;
    st = NULL;
cleanup:
    if (fd >= 0)
        close(fd);
    st_free(st);
    return status;
}

/* ---- queries ----------------------------------------------------------------------------- */

size_t fnrt_safetensors_count(const fnrt_safetensors *st)
{
    return st ? st->n_tensors : 0;
}

const fnrt_st_tensor *fnrt_safetensors_at(const fnrt_safetensors *st, size_t i)
{
    if (!st || i >= st->n_tensors)
        return NULL;
    return &st->tensors[i];
}

const fnrt_st_tensor *fnrt_safetensors_find(const fnrt_safetensors *st, const char *name)
{
    if (!st || !name)
        return NULL;
    size_t lo = 0, hi = st->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const fnrt_st_tensor *t = &st->tensors[st->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0)
            return t;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const void *fnrt_safetensors_data(const fnrt_safetensors *st, const fnrt_st_tensor *t)
{
    if (!st || !t)
        return NULL;
    return st->data + t->begin;
}

fnrt_status fnrt_safetensors_read_f32(const fnrt_safetensors *st, const fnrt_st_tensor *t,
                                      float *dst, size_t n_elems)
{
    if (!st || !t || (!dst && n_elems > 0))
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_safetensors_read_f32: NULL argument");
    uintptr_t ti = (uintptr_t)t, t0 = (uintptr_t)st->tensors;
    if (st->n_tensors == 0 || ti < t0 || ti >= t0 + st->n_tensors * sizeof *st->tensors)
        return fnrt_error(FNRT_ERR_INVALID_ARG,
                          "safetensors %s: tensor does not belong to this file", st->name);
    if ((uint64_t)n_elems != t->n_elems)
        return fnrt_error(FNRT_ERR_INVALID_ARG,
                          "safetensors %s: tensor '%s' has %llu elements, caller expects %zu",
                          st->name, t->name, (unsigned long long)t->n_elems, n_elems);
    const uint8_t *src = st->data + t->begin;
    switch (t->dtype) {
    case FNRT_DT_F32:
        for (size_t i = 0; i < n_elems; i++) {
            const uint8_t *p = src + 4 * i;
            uint32_t bits =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            dst[i] = st_bits_to_f32(bits);
        }
        return FNRT_OK;
    case FNRT_DT_F16:
        for (size_t i = 0; i < n_elems; i++)
            dst[i] = st_f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return FNRT_OK;
    case FNRT_DT_BF16:
        for (size_t i = 0; i < n_elems; i++)
            dst[i] = st_bf16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        return FNRT_OK;
    default:
        break;
    }
    return fnrt_error(FNRT_ERR_UNSUPPORTED,
                      "safetensors %s: tensor '%s' has dtype %s, not convertible to float32",
                      st->name, t->name, fnrt_dtype_str(t->dtype));
}

const char *fnrt_safetensors_meta(const fnrt_safetensors *st, const char *key)
{
    if (!st || !key)
        return NULL;
    for (size_t i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0)
            return st->meta_values[i];
    return NULL;
}
