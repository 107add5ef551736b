/**
 * The sftp subsystem of a simulated host: enough for uploads and downloads (open/read/write/close,
 * stat, mkdir, readdir, remove, rename, realpath). Paths under the host-local trees map into the
 * host root; relative paths are relative to the user's home; everything else is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import { type HostExecContext, homeDir, hostPath } from './exec';

const OPEN = { READ: 1, WRITE: 2, APPEND: 4, CREAT: 8, TRUNC: 16, EXCL: 32 } as const;
const STATUS = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;
const HOST_TREE = /^\/(opt|etc|var|run|home|tmp|root)(\/|$)/;

function toAttrs(st: fs.Stats): Attributes {
  return {
    mode: st.mode,
    uid: 0,
    gid: 0,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function statusFor(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return STATUS.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS.PERMISSION_DENIED;
  return STATUS.FAILURE;
}

export function serveSftp(sftp: SFTPWrapper, ctx: HostExecContext, record: (op: string, p: string) => void): void {
  const home = homeDir(ctx);
  const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean }>();
  let next = 1;

  const real = (p: string): string | undefined => {
    if (p === '' || p === '.') return home;
    if (!p.startsWith('/')) return path.resolve(home, p);
    if (p === '/') return ctx.root;
    const normal = path.posix.normalize(p);
    return HOST_TREE.test(normal) ? path.join(ctx.root, normal) : undefined;
  };
  const newHandle = (h: { fd?: number; dir?: string }): Buffer => {
    const id = next++;
    handles.set(id, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const getHandle = (b: Buffer): { id: number; h: { fd?: number; dir?: string; listed?: boolean } } | undefined => {
    if (b.length !== 4) return undefined;
    const id = b.readUInt32BE(0);
    const h = handles.get(id);
    return h ? { id, h } : undefined;
  };
  const guard = (reqId: number, p: string, fn: (rp: string) => void): void => {
    const rp = real(p);
    if (!rp) {
      sftp.status(reqId, STATUS.PERMISSION_DENIED, `${p}: outside the simulated host's file system`);
      return;
    }
    try {
      fn(rp);
    } catch (err) {
      sftp.status(reqId, statusFor(err), (err as Error).message);
    }
  };

  /** Run a handle operation; an fs error answers the request instead of crashing the simulator. */
  const safe = (reqId: number, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      sftp.status(reqId, statusFor(err), (err as Error).message);
    }
  };

  sftp.on('OPEN', (reqId, filename, flags) => {
    record('open', filename);
    guard(reqId, filename, (rp) => {
      let mode = '';
      const rw = (flags & OPEN.READ) !== 0 && (flags & OPEN.WRITE) !== 0;
      if (flags & OPEN.WRITE) {
        if (flags & OPEN.APPEND) mode = rw ? 'a+' : 'a';
        else if (flags & OPEN.TRUNC || flags & OPEN.CREAT) mode = rw ? 'w+' : 'w';
        else mode = 'r+';
        if (flags & OPEN.EXCL) mode += 'x';
      } else mode = 'r';
      sftp.handle(reqId, newHandle({ fd: fs.openSync(rp, mode) }));
    });
  });
  sftp.on('READ', (reqId, handle, offset, len) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (found?.h.fd === undefined) return sftp.status(reqId, STATUS.FAILURE, 'bad handle');
      const buf = Buffer.alloc(len);
      const n = fs.readSync(found.h.fd, buf, 0, len, offset);
      if (n === 0) sftp.status(reqId, STATUS.EOF);
      else sftp.data(reqId, buf.subarray(0, n));
    });
  });
  sftp.on('WRITE', (reqId, handle, offset, data) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (found?.h.fd === undefined) return sftp.status(reqId, STATUS.FAILURE, 'bad handle');
      fs.writeSync(found.h.fd, data, 0, data.length, offset);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('CLOSE', (reqId, handle) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (!found) return sftp.status(reqId, STATUS.FAILURE, 'bad handle');
      if (found.h.fd !== undefined) fs.closeSync(found.h.fd);
      handles.delete(found.id);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('FSTAT', (reqId, handle) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (found?.h.fd === undefined) return sftp.status(reqId, STATUS.FAILURE, 'bad handle');
      sftp.attrs(reqId, toAttrs(fs.fstatSync(found.h.fd)));
    });
  });
  sftp.on('FSETSTAT', (reqId, handle, attrs) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (found?.h.fd !== undefined && typeof attrs.mode === 'number') fs.fchmodSync(found.h.fd, attrs.mode & 0o7777);
      sftp.status(reqId, STATUS.OK);
    });
  });
  for (const ev of ['STAT', 'LSTAT'] as const) {
    sftp.on(ev, (reqId: number, p: string) =>
      guard(reqId, p, (rp) => sftp.attrs(reqId, toAttrs(ev === 'STAT' ? fs.statSync(rp) : fs.lstatSync(rp))))
    );
  }
  sftp.on('SETSTAT', (reqId, p, attrs) =>
    guard(reqId, p, (rp) => {
      if (typeof attrs.mode === 'number') fs.chmodSync(rp, attrs.mode & 0o7777);
      sftp.status(reqId, STATUS.OK);
    })
  );
  sftp.on('OPENDIR', (reqId, p) =>
    guard(reqId, p, (rp) => {
      if (!fs.statSync(rp).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      sftp.handle(reqId, newHandle({ dir: rp }));
    })
  );
  sftp.on('READDIR', (reqId, handle) => {
    safe(reqId, () => {
      const found = getHandle(handle);
      if (found?.h.dir === undefined) return sftp.status(reqId, STATUS.FAILURE, 'bad handle');
      if (found.h.listed) return sftp.status(reqId, STATUS.EOF);
      found.h.listed = true;
      const dir = found.h.dir;
      const names: FileEntry[] = fs.readdirSync(dir).map((filename) => {
        const st = fs.lstatSync(path.join(dir, filename));
        return {
          filename,
          longname: `${st.isDirectory() ? 'd' : '-'}rw-r--r-- 1 root root ${st.size} ${filename}`,
          attrs: toAttrs(st),
        };
      });
      sftp.name(reqId, names);
    });
  });
  sftp.on('REALPATH', (reqId, p) =>
    guard(reqId, p, (rp) => {
      const shown = hostPath(path.resolve(rp), ctx.root);
      sftp.name(reqId, [{ filename: shown, longname: shown, attrs: {} as Attributes }]);
    })
  );
  sftp.on('MKDIR', (reqId, p) => {
    record('mkdir', p);
    guard(reqId, p, (rp) => {
      fs.mkdirSync(rp);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('RMDIR', (reqId, p) => {
    record('rmdir', p);
    guard(reqId, p, (rp) => {
      fs.rmdirSync(rp);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('REMOVE', (reqId, p) => {
    record('remove', p);
    guard(reqId, p, (rp) => {
      fs.unlinkSync(rp);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('RENAME', (reqId, from, to) => {
    record('rename', `${from} ${to}`);
    const rt = real(to);
    if (!rt) return sftp.status(reqId, STATUS.PERMISSION_DENIED, 'outside the simulated host');
    guard(reqId, from, (rf) => {
      fs.renameSync(rf, rt);
      sftp.status(reqId, STATUS.OK);
    });
  });
  sftp.on('READLINK', (reqId) => sftp.status(reqId, STATUS.OP_UNSUPPORTED));
  sftp.on('SYMLINK', (reqId) => sftp.status(reqId, STATUS.OP_UNSUPPORTED));
  sftp.on('close', () => {
    for (const h of handles.values()) if (h.fd !== undefined) fs.close(h.fd, () => {});
    handles.clear();
  });
}
