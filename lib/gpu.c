/*
 * gpu: the CUDA driver and NVML, loaded at run time (gpu.h).
 *
 * The probe runs in a child process: initialising CUDA here would leave
 * this process unable to give a working CUDA to the children it forks,
 * and a driver that hangs or crashes on initialisation (it happens on a
 * sick node) would take the program with it.
 */
#include "gpu.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* How long the probe may take: a driver without persistence mode can
 * spend seconds bringing a large GPU up. */
#define PROBE_TIMEOUT_S	120.0

/* Looks up name into *fp; 0, or -1 with err set when required (only the
 * driver's functions are). */
static int
sym(void *h, const char *name, void *fp, int required, struct ar_err *err)
{
	void *p = dlsym(h, name);

	/* Function pointers and void * share their representation on
	 * every platform with dlsym. */
	memcpy(fp, &p, sizeof(p));
	if (p == NULL && required) {
		ar_errf(err, "the CUDA driver lacks %s (a driver older than "
		    "the toolkit's headers?)", name);
		return -1;
	}
	return 0;
}

#ifdef AR_CUDA_DRIVER

const struct gpu_driver *
gpu_driver(struct ar_err *err)
{
	static struct gpu_driver d;
	static int loaded;
	static struct ar_err failed;
	const char *path = getenv("AR_LIBCUDA");
	void *h;

	if (loaded > 0)
		return &d;
	if (loaded < 0) {
		*err = failed;
		return NULL;
	}
	if (path == NULL || *path == '\0')
		path = "libcuda.so.1";
	loaded = -1;
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		ar_errf(&failed, "no CUDA driver (%s): %s", path,
		    e ? e : "cannot load it");
		*err = failed;
		return NULL;
	}
	if (sym(h, "cuInit", &d.init, 1, &failed) ||
	    sym(h, "cuDriverGetVersion", &d.driver_version, 1, &failed) ||
	    sym(h, "cuDeviceGetCount", &d.device_count, 1, &failed) ||
	    sym(h, "cuDeviceGet", &d.device_get, 1, &failed) ||
	    sym(h, "cuDeviceGetName", &d.device_name, 1, &failed) ||
	    sym(h, "cuDeviceGetAttribute", &d.device_attr, 1, &failed) ||
	    sym(h, "cuDeviceTotalMem_v2", &d.device_mem, 1, &failed) ||
	    sym(h, "cuDeviceGetPCIBusId", &d.device_busid, 1, &failed) ||
	    sym(h, "cuDeviceGetUuid", &d.device_uuid, 0, &failed) ||
	    sym(h, "cuDevicePrimaryCtxRetain", &d.primary_retain, 1,
	    &failed) ||
	    sym(h, "cuCtxSetCurrent", &d.ctx_set, 1, &failed) ||
	    sym(h, "cuCtxSynchronize", &d.ctx_sync, 1, &failed) ||
	    sym(h, "cuModuleLoadData", &d.module_load, 1, &failed) ||
	    sym(h, "cuModuleGetFunction", &d.module_function, 1, &failed) ||
	    sym(h, "cuFuncGetAttribute", &d.func_attr, 1, &failed) ||
	    sym(h, "cuFuncSetAttribute", &d.func_set_attr, 1, &failed) ||
	    sym(h, "cuFuncGetParamInfo", &d.param_info, 0, &failed) ||
	    sym(h, "cuMemGetInfo_v2", &d.mem_info, 1, &failed) ||
	    sym(h, "cuMemAlloc_v2", &d.mem_alloc, 1, &failed) ||
	    sym(h, "cuMemFree_v2", &d.mem_free, 1, &failed) ||
	    sym(h, "cuMemcpyHtoD_v2", &d.htod, 1, &failed) ||
	    sym(h, "cuMemcpyDtoH_v2", &d.dtoh, 1, &failed) ||
	    sym(h, "cuMemcpyDtoD_v2", &d.dtod, 1, &failed) ||
	    sym(h, "cuMemsetD32_v2", &d.memset32, 1, &failed) ||
	    sym(h, "cuEventCreate", &d.event_create, 1, &failed) ||
	    sym(h, "cuEventRecord", &d.event_record, 1, &failed) ||
	    sym(h, "cuEventQuery", &d.event_query, 1, &failed) ||
	    sym(h, "cuEventElapsedTime", &d.event_elapsed, 1, &failed) ||
	    sym(h, "cuLaunchKernel", &d.launch, 1, &failed) ||
	    sym(h, "cuGetErrorName", &d.error_name, 1, &failed) ||
	    sym(h, "cuGetErrorString", &d.error_string, 1, &failed)) {
		*err = failed;
		return NULL;
	}
	loaded = 1;
	return &d;
}

const char *
gpu_cu_error(const struct gpu_driver *d, CUresult rc, char *buf, size_t cap)
{
	const char *name = NULL, *text = NULL;

	if (d->error_name(rc, &name) != CUDA_SUCCESS || name == NULL)
		name = NULL;
	if (d->error_string(rc, &text) != CUDA_SUCCESS || text == NULL)
		text = NULL;
	if (name != NULL && text != NULL)
		snprintf(buf, cap, "%s (%s)", name, text);
	else if (name != NULL)
		snprintf(buf, cap, "%s", name);
	else
		snprintf(buf, cap, "CUDA error %d", (int)rc);
	return buf;
}

/* Device attributes the probe reports, by the name the parent reads. */
static const struct {
	const char *name;
	CUdevice_attribute attr;
} attrs[] = {
	{ "cc_major", CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR },
	{ "cc_minor", CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR },
	{ "sms", CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT },
	{ "threads", CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK },
	{ "block_x", CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X },
	{ "block_y", CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y },
	{ "block_z", CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z },
	{ "grid_x", CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X },
	{ "grid_y", CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y },
	{ "grid_z", CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z },
	{ "shared_default", CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK },
	{ "shared_optin",
	    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN },
	{ "regs", CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK },
};

/* The probe's child: what device 0 is, one "key value" line each. */
static int
probe_child(void *ctx, int fd)
{
	const struct gpu_driver *d;
	struct ar_err err;
	char name[256], msg[512];
	CUdevice dev;
	CUresult rc;
	size_t i, mem;
	int n, v;

	(void)ctx;
	if ((d = gpu_driver(&err)) == NULL) {
		dprintf(fd, "error %s\n", err.msg);
		return 1;
	}
	if ((rc = d->init(0)) != CUDA_SUCCESS) {
		dprintf(fd, "error cuInit: %s\n",
		    gpu_cu_error(d, rc, msg, sizeof(msg)));
		return 1;
	}
	if ((rc = d->device_count(&n)) != CUDA_SUCCESS || n < 1) {
		dprintf(fd, "error no CUDA device%s%s\n",
		    rc != CUDA_SUCCESS ? ": " : "",
		    rc != CUDA_SUCCESS ? gpu_cu_error(d, rc, msg,
		    sizeof(msg)) : "");
		return 1;
	}
	if ((rc = d->device_get(&dev, 0)) != CUDA_SUCCESS ||
	    (rc = d->device_name(name, (int)sizeof(name), dev)) !=
	    CUDA_SUCCESS) {
		dprintf(fd, "error device 0: %s\n",
		    gpu_cu_error(d, rc, msg, sizeof(msg)));
		return 1;
	}
	name[sizeof(name) - 1] = '\0';
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '\n' || name[i] == '\r')
			name[i] = ' ';
	dprintf(fd, "name %s\n", name);
	if (d->driver_version(&v) == CUDA_SUCCESS)
		dprintf(fd, "driver %d\n", v);
	if (d->device_mem(&mem, dev) == CUDA_SUCCESS)
		dprintf(fd, "mem %zu\n", mem);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if ((rc = d->device_attr(&v, attrs[i].attr, dev)) !=
		    CUDA_SUCCESS) {
			/* A limit not known is a limit not checked; the
			 * launch itself still fails where it is passed. */
			continue;
		}
		dprintf(fd, "%s %d\n", attrs[i].name, v);
	}
	dprintf(fd, "ok\n");
	return 0;
}

/* The probe's answer, read from its report. */
static int
parse_probe(const char *text, void *out, char *why, size_t cap)
{
	struct gpu_dev *g = out;
	const char *p = text, *e;
	int ok = 0;

	memset(g, 0, sizeof(*g));
	while (*p != '\0') {
		char line[512], key[32];
		long long v;
		size_t len;
		int off;

		e = strchr(p, '\n');
		len = e ? (size_t)(e - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(len < 511 ? len :
		    511), p);
		p += len + (e != NULL);
		if (strncmp(line, "error ", 6) == 0) {
			snprintf(why, cap, "%s", line + 6);
			return -1;
		}
		if (strcmp(line, "ok") == 0) {
			ok = 1;
			continue;
		}
		if (strncmp(line, "name ", 5) == 0) {
			snprintf(g->name, sizeof(g->name), "%.255s", line + 5);
			continue;
		}
		if (sscanf(line, "%31s %lld%n", key, &v, &off) != 2 ||
		    line[off] != '\0' || v < 0)
			continue;
		if (strcmp(key, "driver") == 0)
			g->driver = (int)v;
		else if (strcmp(key, "mem") == 0)
			g->mem = (uint64_t)v;
		else if (strcmp(key, "cc_major") == 0)
			g->cc_major = (int)v;
		else if (strcmp(key, "cc_minor") == 0)
			g->cc_minor = (int)v;
		else if (strcmp(key, "sms") == 0)
			g->sms = (int)v;
		else if (strcmp(key, "threads") == 0)
			g->lim.threads = v;
		else if (strcmp(key, "block_x") == 0)
			g->lim.block[0] = v;
		else if (strcmp(key, "block_y") == 0)
			g->lim.block[1] = v;
		else if (strcmp(key, "block_z") == 0)
			g->lim.block[2] = v;
		else if (strcmp(key, "grid_x") == 0)
			g->lim.grid[0] = v;
		else if (strcmp(key, "grid_y") == 0)
			g->lim.grid[1] = v;
		else if (strcmp(key, "grid_z") == 0)
			g->lim.grid[2] = v;
		else if (strcmp(key, "shared_default") == 0)
			g->shared_default = v;
		else if (strcmp(key, "shared_optin") == 0)
			g->lim.shared = v;
		else if (strcmp(key, "regs") == 0)
			g->lim.regs = v;
	}
	if (!ok || g->name[0] == '\0') {
		snprintf(why, cap, "the probe of the GPU ended without an "
		    "answer");
		return -1;
	}
	/* A device that reports no opt-in still has its default. */
	if (g->lim.shared < g->shared_default)
		g->lim.shared = g->shared_default;
	snprintf(g->arch, sizeof(g->arch), "sm_%d%d", g->cc_major,
	    g->cc_minor);
	return 0;
}
#endif /* AR_CUDA_DRIVER */

const struct gpu_dev *
gpu_probe(const char **why)
{
	static struct gpu_dev dev;
	static char reason[1024];
	static int done, ok;

	if (!done) {
		done = 1;
#ifdef AR_CUDA_DRIVER
		ok = proc_probe(probe_child, NULL, PROBE_TIMEOUT_S, "GPU",
		    parse_probe, &dev, reason, sizeof(reason)) == 0;
#else
		snprintf(reason, sizeof(reason), "built without the CUDA "
		    "headers (cuda.h), so without the cuda backend");
#endif
	}
	if (why != NULL)
		*why = ok ? NULL : reason;
	return ok ? &dev : NULL;
}

const char *
gpu_default_arch(char *buf, size_t cap)
{
	const struct gpu_dev *g = gpu_probe(NULL);

	snprintf(buf, cap, "%s", g != NULL ? g->arch : "sm_90");
	return buf;
}

const char *
gpu_unavailable(void)
{
	const char *why;

	gpu_probe(&why);
	return why;
}

/*
 * NVML.  It has no header here: the few functions used are declared by
 * hand from NVIDIA's public API (nvml.h), nvmlDevice_t as the opaque
 * pointer it is.
 */
typedef int nvml_ret;
#define NVML_OK			0
#define NVML_UUID_LEN		96

struct gpu_nvml {
	nvml_ret (*init)(void);
	nvml_ret (*by_busid)(const char *, void **);
	nvml_ret (*count)(unsigned int *);
	nvml_ret (*by_index)(unsigned int, void **);
	nvml_ret (*uuid)(void *, char *, unsigned int);
	nvml_ret (*energy)(void *, unsigned long long *);
	nvml_ret (*power)(void *, unsigned int *);
	const char *(*error)(nvml_ret);
	void *dev;
};

static const char *
nvml_error(const struct gpu_nvml *n, nvml_ret rc, char *buf, size_t cap)
{
	const char *s = n->error != NULL ? n->error(rc) : NULL;

	snprintf(buf, cap, "%s (NVML %d)", s != NULL ? s : "error", rc);
	return buf;
}

struct gpu_nvml *
gpu_nvml_open(const char *busid, const char *uuid, struct ar_err *err)
{
	static struct gpu_nvml n;
	const char *path = getenv("AR_LIBNVML");
	char msg[256], id[NVML_UUID_LEN];
	unsigned int count, i;
	nvml_ret rc;
	void *h;

	if (n.dev != NULL)
		return &n;
	if (path == NULL || *path == '\0')
		path = "libnvidia-ml.so.1";
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		ar_errf(err, "no NVML (%s): %s", path, e ? e : "cannot load "
		    "it");
		return NULL;
	}
	sym(h, "nvmlInit_v2", &n.init, 0, err);
	sym(h, "nvmlDeviceGetHandleByPciBusId_v2", &n.by_busid, 0, err);
	sym(h, "nvmlDeviceGetCount_v2", &n.count, 0, err);
	sym(h, "nvmlDeviceGetHandleByIndex_v2", &n.by_index, 0, err);
	sym(h, "nvmlDeviceGetUUID", &n.uuid, 0, err);
	sym(h, "nvmlDeviceGetTotalEnergyConsumption", &n.energy, 0, err);
	sym(h, "nvmlDeviceGetPowerUsage", &n.power, 0, err);
	sym(h, "nvmlErrorString", &n.error, 0, err);
	if (n.init == NULL || (n.energy == NULL && n.power == NULL)) {
		ar_errf(err, "NVML (%s) lacks the functions needed", path);
		return NULL;
	}
	if ((rc = n.init()) != NVML_OK) {
		ar_errf(err, "nvmlInit: %s", nvml_error(&n, rc, msg,
		    sizeof(msg)));
		return NULL;
	}
	if (busid != NULL && *busid != '\0' && n.by_busid != NULL &&
	    n.by_busid(busid, &n.dev) == NVML_OK && n.dev != NULL)
		return &n;
	n.dev = NULL;
	/* Not found by bus id (a MIG instance, a container that renames
	 * it): by UUID, the one name both sides agree on. */
	if (uuid != NULL && *uuid != '\0' && n.count != NULL &&
	    n.by_index != NULL && n.uuid != NULL &&
	    n.count(&count) == NVML_OK)
		for (i = 0; i < count; i++) {
			void *dev = NULL;

			if (n.by_index(i, &dev) == NVML_OK && dev != NULL &&
			    n.uuid(dev, id, sizeof(id)) == NVML_OK &&
			    strcmp(id, uuid) == 0) {
				n.dev = dev;
				return &n;
			}
		}
	ar_errf(err, "NVML does not know the GPU (bus id %s, %s)",
	    busid != NULL && *busid ? busid : "unknown",
	    uuid != NULL && *uuid ? uuid : "no UUID");
	return NULL;
}

int
gpu_nvml_energy_mj(struct gpu_nvml *n, unsigned long long *mj,
    struct ar_err *err)
{
	char msg[256];
	nvml_ret rc;

	if (n->energy == NULL) {
		ar_errf(err, "NVML has no energy counter");
		return -1;
	}
	if ((rc = n->energy(n->dev, mj)) != NVML_OK) {
		ar_errf(err, "nvmlDeviceGetTotalEnergyConsumption: %s",
		    nvml_error(n, rc, msg, sizeof(msg)));
		return -1;
	}
	return 0;
}

int
gpu_nvml_power_w(struct gpu_nvml *n, double *w, struct ar_err *err)
{
	char msg[256];
	unsigned int mw;
	nvml_ret rc;

	if (n->power == NULL) {
		ar_errf(err, "NVML has no power reading");
		return -1;
	}
	if ((rc = n->power(n->dev, &mw)) != NVML_OK) {
		ar_errf(err, "nvmlDeviceGetPowerUsage: %s",
		    nvml_error(n, rc, msg, sizeof(msg)));
		return -1;
	}
	*w = mw / 1e3;
	return 0;
}
