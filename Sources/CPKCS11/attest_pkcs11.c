// Hand-written from the OASIS PKCS#11 specification; see include/attest_pkcs11.h.
#include "attest_pkcs11.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// --- The subset of PKCS#11 (v2.40 / v3.0) used here ---------------------------------------
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_USER_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef unsigned char CK_BYTE;
typedef unsigned char CK_BBOOL;

typedef struct { CK_ATTRIBUTE_TYPE type; void *pValue; CK_ULONG ulValueLen; } CK_ATTRIBUTE;
typedef struct { CK_MECHANISM_TYPE mechanism; void *pParameter; CK_ULONG ulParameterLen; } CK_MECHANISM;
typedef struct { CK_BYTE major; CK_BYTE minor; } CK_VERSION;
typedef struct { CK_ULONG ulMinKeySize; CK_ULONG ulMaxKeySize; CK_FLAGS flags; } CK_MECHANISM_INFO;
typedef struct {
    CK_BYTE label[32];
    CK_BYTE manufacturerID[32];
    CK_BYTE model[16];
    CK_BYTE serialNumber[16];
    CK_FLAGS flags;
    CK_ULONG ulMaxSessionCount, ulSessionCount, ulMaxRwSessionCount, ulRwSessionCount;
    CK_ULONG ulMaxPinLen, ulMinPinLen;
    CK_ULONG ulTotalPublicMemory, ulFreePublicMemory, ulTotalPrivateMemory, ulFreePrivateMemory;
    CK_VERSION hardwareVersion, firmwareVersion;
    CK_BYTE utcTime[16];
} CK_TOKEN_INFO;

#define CKR_OK 0x00UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_RW_SESSION 0x02UL
#define CKF_SERIAL_SESSION 0x04UL
#define CKF_SIGN 0x800UL
#define CKF_GENERATE_KEY_PAIR 0x10000UL
#define CKU_USER 1UL
#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
#define CKK_EC 0x03UL
#define CKK_EC_EDWARDS 0x40UL
#define CKA_CLASS 0x000UL
#define CKA_TOKEN 0x001UL
#define CKA_PRIVATE 0x002UL
#define CKA_LABEL 0x003UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_SENSITIVE 0x103UL
#define CKA_SIGN 0x108UL
#define CKA_VERIFY 0x10AUL
#define CKA_EXTRACTABLE 0x162UL
#define CKA_EC_PARAMS 0x180UL
#define CKA_EC_POINT 0x181UL
#define CKM_EC_KEY_PAIR_GEN 0x1040UL
#define CKM_ECDSA 0x1041UL
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#define CKM_EDDSA 0x1057UL

typedef CK_RV (*fn_Initialize)(void *);
typedef CK_RV (*fn_Finalize)(void *);
typedef CK_RV (*fn_GetSlotList)(CK_BBOOL, CK_SLOT_ID *, CK_ULONG *);
typedef CK_RV (*fn_GetTokenInfo)(CK_SLOT_ID, CK_TOKEN_INFO *);
typedef CK_RV (*fn_GetMechanismList)(CK_SLOT_ID, CK_MECHANISM_TYPE *, CK_ULONG *);
typedef CK_RV (*fn_GetMechanismInfo)(CK_SLOT_ID, CK_MECHANISM_TYPE, CK_MECHANISM_INFO *);
typedef CK_RV (*fn_OpenSession)(CK_SLOT_ID, CK_FLAGS, void *, void *, CK_SESSION_HANDLE *);
typedef CK_RV (*fn_CloseSession)(CK_SESSION_HANDLE);
typedef CK_RV (*fn_Login)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_BYTE *, CK_ULONG);
typedef CK_RV (*fn_Logout)(CK_SESSION_HANDLE);
typedef CK_RV (*fn_GenerateKeyPair)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_ATTRIBUTE *, CK_ULONG, CK_ATTRIBUTE *, CK_ULONG,
                                    CK_OBJECT_HANDLE *, CK_OBJECT_HANDLE *);
typedef CK_RV (*fn_FindObjectsInit)(CK_SESSION_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*fn_FindObjects)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE *, CK_ULONG, CK_ULONG *);
typedef CK_RV (*fn_FindObjectsFinal)(CK_SESSION_HANDLE);
typedef CK_RV (*fn_GetAttributeValue)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*fn_SignInit)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
typedef CK_RV (*fn_Sign)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG, CK_BYTE *, CK_ULONG *);

struct attest_p11_ctx {
    void *lib;
    fn_Initialize Initialize;
    fn_Finalize Finalize;
    fn_GetSlotList GetSlotList;
    fn_GetTokenInfo GetTokenInfo;
    fn_GetMechanismList GetMechanismList;
    fn_GetMechanismInfo GetMechanismInfo;
    fn_OpenSession OpenSession;
    fn_CloseSession CloseSession;
    fn_Login Login;
    fn_Logout Logout;
    fn_GenerateKeyPair GenerateKeyPair;
    fn_FindObjectsInit FindObjectsInit;
    fn_FindObjects FindObjects;
    fn_FindObjectsFinal FindObjectsFinal;
    fn_GetAttributeValue GetAttributeValue;
    fn_SignInit SignInit;
    fn_Sign Sign;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    // The key that signs: set only by a successful find or generate.
    CK_OBJECT_HANDLE private_key;
    CK_KEY_TYPE key_type; // CKK_EC_EDWARDS (Ed25519) or CKK_EC (P-256)
    int has_key;
};

// C_Initialize is called without locking callbacks, which promises the module that calls never
// overlap: one process-wide lock guards every call. Several contexts (keys) may share a module; it
// is finalized when the last one closes.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int open_contexts = 0;

// id-Ed25519 (RFC 8410), DER: the curve of CKK_EC_EDWARDS keys.
static CK_BYTE ED25519_OID[] = {0x06, 0x03, 0x2B, 0x65, 0x70};
// Other spellings of Ed25519 in CKA_EC_PARAMS that tokens use (read, never written): the
// PrintableString curve name PKCS#11 3.0 allows, and the older GnuPG OID 1.3.6.1.4.1.11591.15.1.
static const CK_BYTE ED25519_NAME[] = {0x13, 0x0C, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
static const CK_BYTE ED25519_OLD_OID[] = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01};
// prime256v1 / secp256r1 / NIST P-256 (1.2.840.10045.3.1.7), DER: the curve of P-256 CKK_EC keys.
static CK_BYTE P256_OID[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

static void fail(char *err, size_t errlen, const char *what, CK_RV rv) {
    if (err && errlen) snprintf(err, errlen, "%s failed (PKCS#11 error 0x%lx)", what, rv);
}

static attest_p11_ctx *open_locked(const char *module, const char *token_label, const char *pin, char *err, size_t errlen) {
    void *lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, errlen, "cannot load PKCS#11 module %s: %s", module, dlerror());
        return NULL;
    }
    attest_p11_ctx *c = calloc(1, sizeof *c);
    c->lib = lib;
#define LOAD(name)                                                                            \
    c->name = (fn_##name)dlsym(lib, "C_" #name);                                              \
    if (!c->name) {                                                                           \
        snprintf(err, errlen, "PKCS#11 module %s has no C_" #name, module);                   \
        dlclose(lib);                                                                         \
        free(c);                                                                              \
        return NULL;                                                                          \
    }
    LOAD(Initialize) LOAD(Finalize) LOAD(GetSlotList) LOAD(GetTokenInfo) LOAD(GetMechanismList) LOAD(GetMechanismInfo)
    LOAD(OpenSession) LOAD(CloseSession) LOAD(Login)
    LOAD(Logout) LOAD(GenerateKeyPair) LOAD(FindObjectsInit) LOAD(FindObjects) LOAD(FindObjectsFinal)
    LOAD(GetAttributeValue) LOAD(SignInit) LOAD(Sign)
#undef LOAD
    // NULL arguments: Attest serializes every call to the module itself.
    CK_RV rv = c->Initialize(NULL);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) rv = CKR_OK;
    if (rv != CKR_OK) {
        fail(err, errlen, "C_Initialize", rv);
        dlclose(lib);
        free(c);
        return NULL;
    }
    CK_ULONG count = 0;
    rv = c->GetSlotList(1, NULL, &count);
    CK_SLOT_ID *slots = count ? calloc(count, sizeof(CK_SLOT_ID)) : NULL;
    if (rv == CKR_OK && count) rv = c->GetSlotList(1, slots, &count);
    CK_SLOT_ID found = 0;
    int have = 0;
    size_t want = strlen(token_label);
    for (CK_ULONG i = 0; rv == CKR_OK && i < count && !have; i++) {
        CK_TOKEN_INFO info;
        if (c->GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        // Labels are padded with spaces to 32 bytes.
        size_t n = 32;
        while (n > 0 && info.label[n - 1] == ' ') n--;
        if (n == want && memcmp(info.label, token_label, n) == 0) {
            found = slots[i];
            have = 1;
        }
    }
    free(slots);
    if (rv != CKR_OK || !have) {
        if (rv != CKR_OK) fail(err, errlen, "C_GetSlotList", rv);
        else snprintf(err, errlen, "no PKCS#11 token labelled \"%s\" in %s", token_label, module);
        if (open_contexts == 0) c->Finalize(NULL);
        dlclose(lib);
        free(c);
        return NULL;
    }
    rv = c->OpenSession(found, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &c->session);
    if (rv == CKR_OK) {
        rv = c->Login(c->session, CKU_USER, (CK_BYTE *)pin, (CK_ULONG)strlen(pin));
        if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK;
        if (rv != CKR_OK) {
            fail(err, errlen, "C_Login (wrong PIN?)", rv);
            c->CloseSession(c->session);
        }
    } else {
        fail(err, errlen, "C_OpenSession", rv);
    }
    if (rv != CKR_OK) {
        if (open_contexts == 0) c->Finalize(NULL);
        dlclose(lib);
        free(c);
        return NULL;
    }
    c->slot = found;
    open_contexts++;
    return c;
}

// What tells the two kinds of key Attest signs with apart, inside the token.
typedef struct {
    const char *name;                 // for messages
    CK_KEY_TYPE key_type;             // CKA_KEY_TYPE
    CK_MECHANISM_TYPE generate;       // the key-pair generation mechanism
    const char *generate_name;        // its name, for messages
    CK_MECHANISM_TYPE sign;           // the signing mechanism
    CK_BYTE *params;                  // CKA_EC_PARAMS written when generating (the DER curve OID)
    CK_ULONG params_len;
    size_t point_len;                 // the raw public key: 32 bytes, or the 65-byte uncompressed point
} key_kind;

static const key_kind ED25519 = {"Ed25519", CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, "CKM_EC_EDWARDS_KEY_PAIR_GEN",
                                 CKM_EDDSA, ED25519_OID, sizeof ED25519_OID, 32};
static const key_kind P256 = {"ECDSA P-256", CKK_EC, CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN",
                              CKM_ECDSA, P256_OID, sizeof P256_OID, 65};

static void select_key(attest_p11_ctx *c, const key_kind *k, CK_OBJECT_HANDLE priv) {
    c->private_key = priv;
    c->key_type = k->key_type;
    c->has_key = 1;
}

static int same_bytes(const CK_BYTE *a, CK_ULONG alen, const CK_BYTE *b, size_t blen) {
    return alen == blen && memcmp(a, b, blen) == 0;
}

enum { CURVE_OTHER, CURVE_MATCHES, CURVE_UNKNOWN };

// Whether the object's CKA_EC_PARAMS names the curve of `k`; CURVE_UNKNOWN when the token does not say.
static int curve_of(attest_p11_ctx *c, const key_kind *k, CK_OBJECT_HANDLE obj) {
    CK_BYTE buf[64];
    CK_ATTRIBUTE a = {CKA_EC_PARAMS, buf, sizeof buf};
    CK_RV rv = c->GetAttributeValue(c->session, obj, &a, 1);
    // Longer than any named curve: explicit curve parameters, which Attest does not use.
    if (rv == CKR_BUFFER_TOO_SMALL) return CURVE_OTHER;
    if (rv != CKR_OK || a.ulValueLen > sizeof buf) return CURVE_UNKNOWN;
    if (same_bytes(buf, a.ulValueLen, k->params, k->params_len)) return CURVE_MATCHES;
    if (k == &ED25519 && (same_bytes(buf, a.ulValueLen, ED25519_NAME, sizeof ED25519_NAME) ||
                          same_bytes(buf, a.ulValueLen, ED25519_OLD_OID, sizeof ED25519_OLD_OID)))
        return CURVE_MATCHES;
    return CURVE_OTHER;
}

// Finds the one object of class `cls` that is a `k` key labelled `label`: of k's key type and on k's
// curve. Returns 0 when there is exactly one, 1 when there is none, -1 on error (or several).
static int find_one(attest_p11_ctx *c, const key_kind *k, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *out,
                    char *err, size_t errlen) {
    CK_KEY_TYPE kt = k->key_type;
    CK_ATTRIBUTE tpl[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};
    CK_RV rv = c->FindObjectsInit(c->session, tpl, 3);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_FindObjectsInit", rv);
        return -1;
    }
    CK_OBJECT_HANDLE found[16];
    CK_ULONG n = 0;
    rv = c->FindObjects(c->session, found, 16, &n);
    c->FindObjectsFinal(c->session);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_FindObjects", rv);
        return -1;
    }
    int matches = 0;
    for (CK_ULONG i = 0; i < n; i++) {
        int curve = curve_of(c, k, found[i]);
        // A public key must name its curve (an Ed25519 one may not: its 32-byte CKA_EC_POINT is
        // checked instead). A private key that does not say is taken by key type and label: its
        // public key, which must be there, said which curve the pair is on.
        if (curve == CURVE_MATCHES || (curve == CURVE_UNKNOWN && (cls == CKO_PRIVATE_KEY || k == &ED25519))) {
            if (matches++ == 0) *out = found[i];
        }
    }
    if (matches > 1) {
        snprintf(err, errlen, "the token holds %d %s %s keys labelled \"%s\"; Attest needs exactly one", matches, k->name,
                 cls == CKO_PRIVATE_KEY ? "private" : "public", label);
        return -1;
    }
    return matches == 1 ? 0 : 1;
}

// CKA_EC_POINT of a `k` key: for Ed25519 the 32-byte public key, for P-256 the 65-byte uncompressed
// point 04 || X || Y; normally DER OCTET STRING-wrapped (04 len ...), raw in some tokens. Writes
// the raw bytes to `out` (room for *len bytes) and their length to *len.
static int read_point(attest_p11_ctx *c, const key_kind *k, CK_OBJECT_HANDLE pub, uint8_t *out, size_t *len, char *err,
                      size_t errlen) {
    CK_BYTE buf[160];
    CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof buf};
    CK_RV rv = c->GetAttributeValue(c->session, pub, &a, 1);
    if (rv != CKR_OK) {
        fail(err, errlen, "reading CKA_EC_POINT", rv);
        return -1;
    }
    size_t want = k->point_len; // < 128: the DER length is one byte
    CK_ULONG n = a.ulValueLen;
    const CK_BYTE *p = NULL;
    if (n == want + 2 && buf[0] == 0x04 && buf[1] == want) p = buf + 2;
    else if (n == want + 3 && buf[0] == 0x04 && buf[1] == 0x81 && buf[2] == want) p = buf + 3; // long-form length
    else if (n == want) p = buf;
    if (!p || (k == &P256 && p[0] != 0x04)) {
        snprintf(err, errlen, "unexpected CKA_EC_POINT of %lu bytes for an %s key (want %s%zu bytes)", n, k->name,
                 k == &P256 ? "the uncompressed point, " : "", want);
        return -1;
    }
    if (!out || !len || *len < want) {
        snprintf(err, errlen, "no room for the %zu-byte %s public key", want, k->name);
        return -1;
    }
    memcpy(out, p, want);
    *len = want;
    return 0;
}

static int find_locked(attest_p11_ctx *c, const key_kind *k, const char *label, uint8_t *out, size_t *len, char *err,
                       size_t errlen) {
    CK_OBJECT_HANDLE priv, pub;
    int r = find_one(c, k, CKO_PRIVATE_KEY, label, &priv, err, errlen);
    if (r != 0) return r;
    r = find_one(c, k, CKO_PUBLIC_KEY, label, &pub, err, errlen);
    if (r == 1) snprintf(err, errlen, "the token has the %s private key \"%s\" but not its public key", k->name, label);
    if (r != 0) return -1;
    if (read_point(c, k, pub, out, len, err, errlen) != 0) return -1;
    select_key(c, k, priv);
    return 0;
}

static int generate_locked(attest_p11_ctx *c, const key_kind *k, const char *label, uint8_t *out, size_t *outlen, char *err,
                           size_t errlen) {
    CK_BBOOL yes = 1, no = 0;
    CK_MECHANISM mech = {k->generate, NULL, 0};
    CK_ULONG len = (CK_ULONG)strlen(label);
    CK_ATTRIBUTE pub_tpl[] = {
        {CKA_TOKEN, &yes, 1}, {CKA_VERIFY, &yes, 1}, {CKA_LABEL, (void *)label, len}, {CKA_EC_PARAMS, k->params, k->params_len}};
    CK_ATTRIBUTE priv_tpl[] = {{CKA_TOKEN, &yes, 1},       {CKA_PRIVATE, &yes, 1},     {CKA_SIGN, &yes, 1},
                               {CKA_SENSITIVE, &yes, 1},   {CKA_EXTRACTABLE, &no, 1},  {CKA_LABEL, (void *)label, len}};
    CK_OBJECT_HANDLE pub, priv;
    CK_RV rv = c->GenerateKeyPair(c->session, &mech, pub_tpl, 4, priv_tpl, 6, &pub, &priv);
    if (rv != CKR_OK) {
        char what[128];
        snprintf(what, sizeof what, "C_GenerateKeyPair (%s: does the token support %s?)", k->name, k->generate_name);
        fail(err, errlen, what, rv);
        return -1;
    }
    if (read_point(c, k, pub, out, outlen, err, errlen) != 0) return -1;
    select_key(c, k, priv);
    return 0;
}

// Whether the slot lists `m` (and, when the token describes it, with `flag`).
static int mechanism_usable(attest_p11_ctx *c, const CK_MECHANISM_TYPE *list, CK_ULONG n, CK_MECHANISM_TYPE m, CK_FLAGS flag) {
    for (CK_ULONG i = 0; i < n; i++) {
        if (list[i] != m) continue;
        CK_MECHANISM_INFO info;
        if (c->GetMechanismInfo(c->slot, m, &info) != CKR_OK) return 1;
        return (info.flags & flag) != 0;
    }
    return 0;
}

static int supports_eddsa_locked(attest_p11_ctx *c) {
    CK_ULONG n = 0;
    if (c->GetMechanismList(c->slot, NULL, &n) != CKR_OK) return -1;
    CK_MECHANISM_TYPE *list = calloc(n ? n : 1, sizeof *list);
    if (!list) return -1;
    if (n && c->GetMechanismList(c->slot, list, &n) != CKR_OK) {
        free(list);
        return -1;
    }
    int r = mechanism_usable(c, list, n, CKM_EDDSA, CKF_SIGN) &&
            mechanism_usable(c, list, n, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR);
    free(list);
    return r;
}

static int sign_locked(attest_p11_ctx *c, const uint8_t *data, size_t len, uint8_t signature[64], char *err, size_t errlen) {
    if (!c->has_key) {
        snprintf(err, errlen, "no signing key selected");
        return -1;
    }
    // CKM_ECDSA signs a digest the caller computed: for Attest, SHA-256 of the message. Anything
    // but 32 bytes is the message itself passed by mistake.
    if (c->key_type == CKK_EC && len != 32) {
        snprintf(err, errlen, "an ECDSA P-256 key signs a 32-byte SHA-256 digest, not %zu bytes", len);
        return -1;
    }
    CK_MECHANISM mech = {c->key_type == CKK_EC ? CKM_ECDSA : CKM_EDDSA, NULL, 0};
    CK_RV rv = c->SignInit(c->session, &mech, c->private_key);
    if (rv != CKR_OK) {
        fail(err, errlen, c->key_type == CKK_EC ? "C_SignInit (CKM_ECDSA)" : "C_SignInit (CKM_EDDSA)", rv);
        return -1;
    }
    // Ed25519: R || S; ECDSA P-256: r || s, 32 bytes each.
    CK_ULONG siglen = 64;
    rv = c->Sign(c->session, (CK_BYTE *)data, (CK_ULONG)len, signature, &siglen);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_Sign", rv);
        return -1;
    }
    if (siglen != 64) {
        snprintf(err, errlen, "C_Sign returned %lu bytes, not 64", siglen);
        return -1;
    }
    return 0;
}

static int extractable_locked(attest_p11_ctx *c) {
    CK_BBOOL v = 1;
    CK_ATTRIBUTE a = {CKA_EXTRACTABLE, &v, 1};
    if (!c->has_key || c->GetAttributeValue(c->session, c->private_key, &a, 1) != CKR_OK) return -1;
    return v ? 1 : 0;
}

static void close_locked(attest_p11_ctx *c) {
    if (!c) return;
    // No C_Logout: the login belongs to the whole application, and other keys may still sign.
    c->CloseSession(c->session);
    if (--open_contexts == 0) c->Finalize(NULL);
    dlclose(c->lib);
    free(c);
}

// --- The public functions: each holds the process-wide lock --------------------------------

attest_p11_ctx *attest_p11_open(const char *module, const char *token_label, const char *pin, char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    attest_p11_ctx *c = open_locked(module, token_label, pin, err, errlen);
    pthread_mutex_unlock(&lock);
    return c;
}

int attest_p11_generate_ed25519(attest_p11_ctx *c, const char *label, uint8_t public_key[32], char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    size_t len = 32;
    int r = generate_locked(c, &ED25519, label, public_key, &len, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_find_ed25519(attest_p11_ctx *c, const char *label, uint8_t public_key[32], char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    size_t len = 32;
    int r = find_locked(c, &ED25519, label, public_key, &len, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_supports_eddsa(attest_p11_ctx *c) {
    pthread_mutex_lock(&lock);
    int r = supports_eddsa_locked(c);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_generate_p256(attest_p11_ctx *c, const char *label, uint8_t *point, size_t *len, char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    int r = generate_locked(c, &P256, label, point, len, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_find_p256(attest_p11_ctx *c, const char *label, uint8_t *point, size_t *len, char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    int r = find_locked(c, &P256, label, point, len, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_key_algorithm(attest_p11_ctx *c) {
    pthread_mutex_lock(&lock);
    int r = !c->has_key ? 0 : c->key_type == CKK_EC_EDWARDS ? ATTEST_P11_ED25519 : ATTEST_P11_ECDSA_P256;
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_sign(attest_p11_ctx *c, const uint8_t *data, size_t len, uint8_t signature[64], char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    int r = sign_locked(c, data, len, signature, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_private_key_extractable(attest_p11_ctx *c) {
    pthread_mutex_lock(&lock);
    int r = extractable_locked(c);
    pthread_mutex_unlock(&lock);
    return r;
}

void attest_p11_close(attest_p11_ctx *c) {
    pthread_mutex_lock(&lock);
    close_locked(c);
    pthread_mutex_unlock(&lock);
}
