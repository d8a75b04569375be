/*
 * asn_research._native: optional accelerator for ingest.
 *
 * hmac_hex: batch HMAC-SHA256 for pseudonymization. scan_lines: one pass over a CSV body
 * that finds every line end and whether any value needs trimming (the reader's row-number
 * bookkeeping), run beside pyarrow's parse.
 *
 * Python's hmac/hashlib cost about 1.5 us per short message, nearly all of it call
 * overhead; one million NIPs then take longer than reading the whole CSV. This module hashes
 * a whole Arrow (large_)binary array in one call without the GIL: SHA-256 with the x86 SHA
 * extensions when the CPU has them, portable C otherwise.
 *
 * It is optional. When it is not built (no C compiler at install time), asn_research.privacy
 * uses the standard library and asn_research.readers NumPy, with the same results (tests
 * compare both: hmac.digest, and the NumPy scan). Algorithms: FIPS 180-4 (SHA-256),
 * RFC 2104 (HMAC).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ASN_HAVE_SHANI_CODE 1
#include <cpuid.h>
#include <immintrin.h>
#endif

typedef void (*compress_fn)(uint32_t state[8], const uint8_t *data, size_t nblocks);

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static const uint32_t IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_portable(uint32_t s[8], const uint8_t *p, size_t nblocks) {
    uint32_t w[64];
    while (nblocks--) {
        for (int i = 0; i < 16; i++)
            w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) |
                   ((uint32_t)p[4 * i + 2] << 8) | (uint32_t)p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6],
                 h = s[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                          K256[i] + w[i];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        s[0] += a;
        s[1] += b;
        s[2] += c;
        s[3] += d;
        s[4] += e;
        s[5] += f;
        s[6] += g;
        s[7] += h;
        p += 64;
    }
}

#ifdef ASN_HAVE_SHANI_CODE
/* SHA-256 compression with the Intel SHA extensions (after the public-domain reference by
 * Sean Gulley / Jeffrey Walton). State kept as ABEF/CDGH pairs. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t state[8], const uint8_t *data, size_t nblocks) {
    __m128i STATE0, STATE1, MSG, TMP, MSG0, MSG1, MSG2, MSG3, ABEF_SAVE, CDGH_SAVE;
    const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);

    TMP = _mm_loadu_si128((const __m128i *)&state[0]);
    STATE1 = _mm_loadu_si128((const __m128i *)&state[4]);
    TMP = _mm_shuffle_epi32(TMP, 0xB1);          /* CDAB */
    STATE1 = _mm_shuffle_epi32(STATE1, 0x1B);    /* EFGH */
    STATE0 = _mm_alignr_epi8(TMP, STATE1, 8);    /* ABEF */
    STATE1 = _mm_blend_epi16(STATE1, TMP, 0xF0); /* CDGH */

    while (nblocks--) {
        ABEF_SAVE = STATE0;
        CDGH_SAVE = STATE1;

#define ROUNDS4(Mi, k)                                                             \
    MSG = _mm_add_epi32(Mi, _mm_loadu_si128((const __m128i *)&K256[k]));           \
    STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG);                           \
    MSG = _mm_shuffle_epi32(MSG, 0x0E);                                            \
    STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG);

        MSG0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), MASK);
        ROUNDS4(MSG0, 0)
        MSG1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), MASK);
        ROUNDS4(MSG1, 4)
        MSG0 = _mm_sha256msg1_epu32(MSG0, MSG1);
        MSG2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), MASK);
        ROUNDS4(MSG2, 8)
        MSG1 = _mm_sha256msg1_epu32(MSG1, MSG2);
        MSG3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), MASK);
        ROUNDS4(MSG3, 12)

        /* rounds 16..63: the message schedule, four words at a time */
#define SCHED(Ma, Mb, Mc, Md, k)                                                   \
    TMP = _mm_alignr_epi8(Md, Mc, 4);                                              \
    Ma = _mm_add_epi32(Ma, TMP);                                                   \
    Ma = _mm_sha256msg2_epu32(Ma, Md);                                             \
    ROUNDS4(Ma, k)                                                                 \
    Mc = _mm_sha256msg1_epu32(Mc, Md);

        for (int k = 16; k < 64; k += 16) { /* the four registers rotate every 16 rounds */
            SCHED(MSG0, MSG1, MSG2, MSG3, k)
            SCHED(MSG1, MSG2, MSG3, MSG0, k + 4)
            SCHED(MSG2, MSG3, MSG0, MSG1, k + 8)
            SCHED(MSG3, MSG0, MSG1, MSG2, k + 12)
        }
#undef SCHED
#undef ROUNDS4

        STATE0 = _mm_add_epi32(STATE0, ABEF_SAVE);
        STATE1 = _mm_add_epi32(STATE1, CDGH_SAVE);
        data += 64;
    }

    TMP = _mm_shuffle_epi32(STATE0, 0x1B);       /* FEBA */
    STATE1 = _mm_shuffle_epi32(STATE1, 0xB1);    /* DCHG */
    STATE0 = _mm_blend_epi16(TMP, STATE1, 0xF0); /* DCBA */
    STATE1 = _mm_alignr_epi8(STATE1, TMP, 8);    /* ABEF */
    _mm_storeu_si128((__m128i *)&state[0], STATE0);
    _mm_storeu_si128((__m128i *)&state[4], STATE1);
}

static int cpu_has_shani(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (!(c & (1u << 19)) || !(c & (1u << 9))) /* SSE4.1, SSSE3 */
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1; /* SHA */
}
#endif

static compress_fn COMPRESS = compress_portable;
static const char *IMPLEMENTATION = "portable C";

/* SHA-256 of (a 64-byte block already absorbed into mid) + msg, written to out[32]. */
static void finish_after_block(const uint32_t mid[8], const uint8_t *msg, size_t len,
                               uint8_t out[32]) {
    uint32_t s[8];
    uint8_t tail[128];
    memcpy(s, mid, sizeof s);
    size_t full = len / 64;
    if (full)
        COMPRESS(s, msg, full);
    size_t rem = len - full * 64;
    memcpy(tail, msg + full * 64, rem);
    tail[rem] = 0x80;
    size_t padded = (rem + 9 <= 64) ? 64 : 128;
    memset(tail + rem + 1, 0, padded - rem - 1);
    uint64_t bits = ((uint64_t)len + 64) * 8;
    for (int i = 0; i < 8; i++)
        tail[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    COMPRESS(s, tail, padded / 64);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s[i] >> 8);
        out[4 * i + 3] = (uint8_t)s[i];
    }
}

static const char HEX[] = "0123456789abcdef";

PyDoc_STRVAR(hmac_hex_doc,
"hmac_hex(key_block, data, offsets, start, stop, message_prefix, out_prefix, hex_digits)\n"
"--\n\n"
"HMAC-SHA256 of message_prefix + data[offsets[i]:offsets[i+1]] for i in [start, stop).\n\n"
"key_block is the HMAC key already padded to 64 bytes (hashed first if longer, as RFC 2104\n"
"says). offsets are little-endian int64 (an Arrow large_binary offsets buffer). Returns\n"
"bytes: for each message, out_prefix followed by the first hex_digits lowercase hex\n"
"digits of its HMAC. Runs without the GIL.");

static PyObject *hmac_hex(PyObject *self, PyObject *args) {
    Py_buffer key, data, offs, mpre, opre;
    Py_ssize_t start, stop, hex_digits;
    if (!PyArg_ParseTuple(args, "y*y*y*nny*y*n", &key, &data, &offs, &start, &stop, &mpre,
                          &opre, &hex_digits))
        return NULL;
    PyObject *result = NULL;
    uint8_t *scratch = NULL;
    Py_ssize_t n_offsets = offs.len / (Py_ssize_t)sizeof(int64_t);
    if (key.len != 64) {
        PyErr_SetString(PyExc_ValueError, "key_block must be 64 bytes");
        goto done;
    }
    if (hex_digits < 0 || hex_digits > 64 || start < 0 || stop < start ||
        stop >= n_offsets) { /* stop + 1 offsets are read; never overflows */
        PyErr_SetString(PyExc_ValueError, "bad hex_digits, start or stop");
        goto done;
    }
    const int64_t *off = (const int64_t *)offs.buf;
    for (Py_ssize_t i = start; i < stop; i++) { /* never read outside the data buffer */
        if (off[i] < 0 || off[i + 1] < off[i] || off[i + 1] > (int64_t)data.len) {
            PyErr_SetString(PyExc_ValueError, "offsets do not fit the data buffer");
            goto done;
        }
    }
    Py_ssize_t width = opre.len + hex_digits;
    Py_ssize_t count = stop - start;
    result = PyBytes_FromStringAndSize(NULL, count * width);
    if (!result)
        goto done;
    int64_t longest = 0;
    for (Py_ssize_t i = start; i < stop; i++)
        if (off[i + 1] - off[i] > longest)
            longest = off[i + 1] - off[i];
    scratch = (uint8_t *)malloc((size_t)(mpre.len + longest) + 1);
    if (!scratch) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    char *out = PyBytes_AS_STRING(result);
    const uint8_t *k = (const uint8_t *)key.buf;
    const uint8_t *base = (const uint8_t *)data.buf;

    Py_BEGIN_ALLOW_THREADS
    uint8_t pad[64];
    uint32_t imid[8], omid[8];
    memcpy(imid, IV256, sizeof imid);
    memcpy(omid, IV256, sizeof omid);
    for (int j = 0; j < 64; j++)
        pad[j] = k[j] ^ 0x36;
    COMPRESS(imid, pad, 1);
    for (int j = 0; j < 64; j++)
        pad[j] = k[j] ^ 0x5c;
    COMPRESS(omid, pad, 1);
    memset(pad, 0, sizeof pad);
    memcpy(scratch, mpre.buf, (size_t)mpre.len);
    uint8_t inner[32], digest[32];
    for (Py_ssize_t i = start; i < stop; i++) {
        size_t len = (size_t)(off[i + 1] - off[i]);
        memcpy(scratch + mpre.len, base + off[i], len);
        finish_after_block(imid, scratch, (size_t)mpre.len + len, inner);
        finish_after_block(omid, inner, 32, digest);
        char *o = out + (i - start) * width;
        memcpy(o, opre.buf, (size_t)opre.len);
        o += opre.len;
        for (Py_ssize_t j = 0; j < hex_digits; j++)
            o[j] = HEX[(digest[j / 2] >> ((j % 2) ? 0 : 4)) & 0xF];
    }
    memset(imid, 0, sizeof imid); /* no key-derived state or identifier left behind */
    memset(omid, 0, sizeof omid);
    memset(inner, 0, sizeof inner);
    memset(scratch, 0, (size_t)(mpre.len + longest) + 1);
    Py_END_ALLOW_THREADS

done:
    free(scratch);
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offs);
    PyBuffer_Release(&mpre);
    PyBuffer_Release(&opre);
    return result;
}

PyDoc_STRVAR(scan_lines_doc,
"scan_lines(data, delimiter) -> (newlines, edge_whitespace)\n"
"--\n\n"
"One pass over CSV bytes, without the GIL. newlines: bytes holding the int64 positions of\n"
"every LF. edge_whitespace: whether a byte <= 32 other than LF (space, tab, CR that is not\n"
"part of CRLF, control characters) touches the delimiter, a line end, a quote or either end\n"
"of the data, i.e. whether values may need trimming.");

static PyObject *scan_lines(PyObject *self, PyObject *args) {
    Py_buffer data;
    int delimiter;
    if (!PyArg_ParseTuple(args, "y*i", &data, &delimiter))
        return NULL;
    const uint8_t *p = (const uint8_t *)data.buf;
    const Py_ssize_t n = data.len;
    const uint8_t d = (uint8_t)delimiter;
    Py_ssize_t cap = n / 64 + 1024, k = 0;
    int64_t *out = (int64_t *)malloc((size_t)cap * sizeof(int64_t));
    int edge = 0, failed = 0;
    if (!out) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    Py_ssize_t i = 0;
    while (i < n && !failed) {
        /* skip 8 bytes at a time while none is <= 32 ("hasless(x, 33)", SWAR) */
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            if (((x - ones * 33) & ~x & highs) != 0)
                break;
            i += 8;
        }
        Py_ssize_t stop = i + 8 <= n ? i + 8 : n;
        for (; i < stop; i++) {
            uint8_t c = p[i];
            if (c > 32)
                continue;
            if (c == '\n') {
                if (k == cap) {
                    int64_t *bigger = (int64_t *)realloc(out, (size_t)cap * 2 * sizeof(int64_t));
                    if (!bigger) {
                        failed = 1;
                        break;
                    }
                    out = bigger;
                    cap *= 2;
                }
                out[k++] = i;
                continue;
            }
            if (edge)
                continue;
            uint8_t prev = i > 0 ? p[i - 1] : '\n';
            uint8_t next = i < n - 1 ? p[i + 1] : '\n';
            if (c == '\r' && next == '\n')
                continue; /* the CR of a CRLF line end */
            if (prev == d || prev == '\n' || prev == '\r' || prev == '"' || next == d ||
                next == '\n' || next == '\r' || next == '"')
                edge = 1;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (failed) {
        free(out);
        return PyErr_NoMemory();
    }
    PyObject *positions =
        PyBytes_FromStringAndSize((const char *)out, k * (Py_ssize_t)sizeof(int64_t));
    free(out);
    if (!positions)
        return NULL;
    return Py_BuildValue("(NO)", positions, edge ? Py_True : Py_False);
}

static PyObject *implementation(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(IMPLEMENTATION);
}

static PyObject *use_portable(PyObject *self, PyObject *arg) {
    int flag = PyObject_IsTrue(arg);
    if (flag < 0)
        return NULL;
#ifdef ASN_HAVE_SHANI_CODE
    if (!flag && cpu_has_shani()) {
        COMPRESS = compress_shani;
        IMPLEMENTATION = "x86 SHA extensions";
        Py_RETURN_NONE;
    }
#endif
    COMPRESS = compress_portable;
    IMPLEMENTATION = "portable C";
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"hmac_hex", hmac_hex, METH_VARARGS, hmac_hex_doc},
    {"scan_lines", scan_lines, METH_VARARGS, scan_lines_doc},
    {"implementation", implementation, METH_NOARGS,
     "Which SHA-256 code is in use: 'x86 SHA extensions' or 'portable C'."},
    {"use_portable", use_portable, METH_O,
     "use_portable(flag): force the portable C code (for tests), or go back to the best."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native",
    "Batch HMAC-SHA256 and a CSV line scan (optional accelerator).", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
#ifdef ASN_HAVE_SHANI_CODE
    if (cpu_has_shani()) {
        COMPRESS = compress_shani;
        IMPLEMENTATION = "x86 SHA extensions";
    }
#endif
    return PyModule_Create(&module);
}
