/**
 * Finds a Linux kernel and its initrd in a toolkit folder by the names distributions give them,
 * for `peerboot package import --kind linux` when the admin does not name them:
 * - Debian/Ubuntu /boot: vmlinuz-6.1.0-18-amd64 + initrd.img-6.1.0-18-amd64;
 * - Debian's netboot and installer trees: linux + initrd.gz; Fedora/Ubuntu live: vmlinuz + initrd.img;
 * - Arch: vmlinuz-linux + initramfs-linux.img (the -fallback image is not the default);
 * - a bare kernel build: bzImage.
 * Pure: takes the folder's relative paths ('/'-separated); the caller walks the folder.
 */

export type LinuxBootFiles =
  | { ok: true; kernel: string; initrd: string }
  | { ok: false; reason: string };

const base = (path: string) => path.split('/').pop()!;
const depth = (path: string) => path.split('/').length;

function isKernelName(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'linux' || n === 'bzimage' || n === 'vmlinuz' || n.startsWith('vmlinuz-') || n.startsWith('vmlinuz.');
}

function isInitrdName(name: string): boolean {
  const n = name.toLowerCase();
  return (n.startsWith('initrd') || n.startsWith('initramfs')) && !n.includes('fallback') && !n.endsWith('.sig');
}

/** The version suffix after the kernel's name (vmlinuz-6.1.0-18-amd64 → 6.1.0-18-amd64), or ''. */
function kernelSuffix(name: string): string {
  const m = /^vmlinuz[-.](.+)$/i.exec(name);
  return m ? m[1]! : '';
}

/** The shallowest candidates only: a nested copy (an old kernel in a subfolder) loses to the top. */
function shallowest(paths: string[]): string[] {
  const min = Math.min(...paths.map(depth));
  return paths.filter((p) => depth(p) === min).sort();
}

export type Found = { ok: true; path: string } | { ok: false; reason: string };

/** The one kernel of the folder (the shallowest by distribution names), or why not. */
export function findKernel(paths: readonly string[]): Found {
  const kernels = paths.filter((p) => isKernelName(base(p)));
  if (kernels.length === 0) {
    return { ok: false, reason: 'no kernel found (looked for vmlinuz*, linux, bzImage); name it with --kernel PATH' };
  }
  const top = shallowest(kernels);
  if (top.length > 1) return { ok: false, reason: `several kernels found (${top.join(', ')}); name one with --kernel PATH` };
  return { ok: true, path: top[0]! };
}

/** The initrd that belongs to `kernel` (the one carrying its version or flavour, else the only one), or why not. */
export function findInitrdFor(kernel: string, paths: readonly string[]): Found {
  const initrds = paths.filter((p) => isInitrdName(base(p)));
  if (initrds.length === 0) {
    return { ok: false, reason: `kernel ${kernel} found, but no initrd (looked for initrd*, initramfs*); name it with --initrd PATH` };
  }
  const suffix = kernelSuffix(base(kernel));
  // The initrd built for this kernel carries its version or flavour: initrd.img-<v>, initramfs-<v>.img.
  const matching = suffix ? initrds.filter((p) => base(p).includes(suffix)) : [];
  const pool = shallowest(matching.length > 0 ? matching : initrds);
  if (pool.length > 1) {
    return { ok: false, reason: `several initrds found for ${kernel} (${pool.join(', ')}); name one with --initrd PATH` };
  }
  return { ok: true, path: pool[0]! };
}

/** Picks one kernel and the initrd that belongs to it, or says why not and which flag decides. */
export function findLinuxBootFiles(paths: readonly string[]): LinuxBootFiles {
  const kernel = findKernel(paths);
  if (!kernel.ok) return kernel;
  const initrd = findInitrdFor(kernel.path, paths);
  return initrd.ok ? { ok: true, kernel: kernel.path, initrd: initrd.path } : initrd;
}
