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
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_RW_SESSION 0x02UL
#define CKF_SERIAL_SESSION 0x04UL
#define CKU_USER 1UL
#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
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
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#define CKM_EDDSA 0x1057UL

typedef CK_RV (*fn_Initialize)(void *);
typedef CK_RV (*fn_Finalize)(void *);
typedef CK_RV (*fn_GetSlotList)(CK_BBOOL, CK_SLOT_ID *, CK_ULONG *);
typedef CK_RV (*fn_GetTokenInfo)(CK_SLOT_ID, CK_TOKEN_INFO *);
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
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE private_key;
    int has_key;
};

// C_Initialize is called without locking callbacks, which promises the module that calls never
// overlap: one process-wide lock guards every call. Several contexts (keys) may share a module; it
// is finalized when the last one closes.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int open_contexts = 0;

// id-Ed25519 (RFC 8410), DER: the curve of CKK_EC_EDWARDS keys.
static CK_BYTE ED25519_OID[] = {0x06, 0x03, 0x2B, 0x65, 0x70};

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
    LOAD(Initialize) LOAD(Finalize) LOAD(GetSlotList) LOAD(GetTokenInfo) LOAD(OpenSession) LOAD(CloseSession) LOAD(Login)
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
    open_contexts++;
    return c;
}

// CKA_EC_POINT of an Ed25519 key: the 32 bytes, DER OCTET STRING-wrapped (04 20 ...) or raw.
static int read_public(attest_p11_ctx *c, CK_OBJECT_HANDLE pub, uint8_t out[32], char *err, size_t errlen) {
    CK_BYTE buf[128];
    CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof buf};
    CK_RV rv = c->GetAttributeValue(c->session, pub, &a, 1);
    if (rv != CKR_OK) {
        fail(err, errlen, "reading CKA_EC_POINT", rv);
        return -1;
    }
    if (a.ulValueLen == 34 && buf[0] == 0x04 && buf[1] == 32) memcpy(out, buf + 2, 32);
    else if (a.ulValueLen == 32) memcpy(out, buf, 32);
    else {
        snprintf(err, errlen, "unexpected CKA_EC_POINT of %lu bytes for an Ed25519 key", a.ulValueLen);
        return -1;
    }
    return 0;
}

static int find_one(attest_p11_ctx *c, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *out, char *err, size_t errlen) {
    CK_KEY_TYPE kt = CKK_EC_EDWARDS;
    CK_ATTRIBUTE tpl[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};
    CK_RV rv = c->FindObjectsInit(c->session, tpl, 3);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_FindObjectsInit", rv);
        return -1;
    }
    CK_ULONG n = 0;
    rv = c->FindObjects(c->session, out, 1, &n);
    c->FindObjectsFinal(c->session);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_FindObjects", rv);
        return -1;
    }
    return n == 1 ? 0 : 1;
}

static int find_locked(attest_p11_ctx *c, const char *label, uint8_t public_key[32], char *err, size_t errlen) {
    CK_OBJECT_HANDLE priv, pub;
    int r = find_one(c, CKO_PRIVATE_KEY, label, &priv, err, errlen);
    if (r != 0) return r;
    r = find_one(c, CKO_PUBLIC_KEY, label, &pub, err, errlen);
    if (r == 1) snprintf(err, errlen, "the token has the private key \"%s\" but not its public key", label);
    if (r != 0) return -1;
    if (read_public(c, pub, public_key, err, errlen) != 0) return -1;
    c->private_key = priv;
    c->has_key = 1;
    return 0;
}

static int generate_locked(attest_p11_ctx *c, const char *label, uint8_t public_key[32], char *err, size_t errlen) {
    CK_BBOOL yes = 1, no = 0;
    CK_MECHANISM mech = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG len = (CK_ULONG)strlen(label);
    CK_ATTRIBUTE pub_tpl[] = {
        {CKA_TOKEN, &yes, 1}, {CKA_VERIFY, &yes, 1}, {CKA_LABEL, (void *)label, len}, {CKA_EC_PARAMS, ED25519_OID, sizeof ED25519_OID}};
    CK_ATTRIBUTE priv_tpl[] = {{CKA_TOKEN, &yes, 1},       {CKA_PRIVATE, &yes, 1},     {CKA_SIGN, &yes, 1},
                               {CKA_SENSITIVE, &yes, 1},   {CKA_EXTRACTABLE, &no, 1},  {CKA_LABEL, (void *)label, len}};
    CK_OBJECT_HANDLE pub, priv;
    CK_RV rv = c->GenerateKeyPair(c->session, &mech, pub_tpl, 4, priv_tpl, 6, &pub, &priv);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_GenerateKeyPair (Ed25519: does the token support CKM_EC_EDWARDS_KEY_PAIR_GEN?)", rv);
        return -1;
    }
    if (read_public(c, pub, public_key, err, errlen) != 0) return -1;
    c->private_key = priv;
    c->has_key = 1;
    return 0;
}

static int sign_locked(attest_p11_ctx *c, const uint8_t *data, size_t len, uint8_t signature[64], char *err, size_t errlen) {
    if (!c->has_key) {
        snprintf(err, errlen, "no signing key selected");
        return -1;
    }
    CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
    CK_RV rv = c->SignInit(c->session, &mech, c->private_key);
    if (rv != CKR_OK) {
        fail(err, errlen, "C_SignInit", rv);
        return -1;
    }
    CK_ULONG siglen = 64;
    rv = c->Sign(c->session, (CK_BYTE *)data, (CK_ULONG)len, signature, &siglen);
    if (rv != CKR_OK || siglen != 64) {
        fail(err, errlen, "C_Sign", rv);
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
    int r = generate_locked(c, label, public_key, err, errlen);
    pthread_mutex_unlock(&lock);
    return r;
}

int attest_p11_find_ed25519(attest_p11_ctx *c, const char *label, uint8_t public_key[32], char *err, size_t errlen) {
    pthread_mutex_lock(&lock);
    int r = find_locked(c, label, public_key, err, errlen);
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
