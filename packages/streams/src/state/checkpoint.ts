// Checkpoint files: the changelog offset a persistent store's local files reflect, written
// atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves either the old
// checkpoint or the new one, never a torn one. A file that cannot be read counts as absent.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname } from "node:path";

const FORMAT_VERSION = 1;

interface CheckpointFileContents {
  readonly version: number;
  readonly offset: number;
}

function isCheckpointContents(value: unknown): value is CheckpointFileContents {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return record["version"] === FORMAT_VERSION && Number.isSafeInteger(record["offset"]);
}

/** The offset in the checkpoint file at `path`; undefined when there is none (or it is unreadable). */
export function readCheckpointFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isCheckpointContents(parsed) ? parsed.offset : undefined;
  } catch {
    return undefined;
  }
}

/** Fsyncs a directory so a rename or unlink in it survives a power loss (Linux; a no-op where unsupported). */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Windows cannot open directories; some file systems refuse fsync on them.
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EACCES") throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces the checkpoint file at `path` with `offset`, durably and atomically. */
export function writeCheckpointFile(path: string, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad checkpoint offset ${offset}`);
  const temp = `${dirname(path)}/.${basename(path)}.tmp`;
  const bytes = Buffer.from(`${JSON.stringify({ version: FORMAT_VERSION, offset })}\n`, "utf8");
  const fd = openSync(temp, "w");
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDirectory(dirname(path));
}

/** Removes the checkpoint file at `path` (if any), durably. */
export function removeCheckpointFile(path: string): void {
  rmSync(path, { force: true });
  fsyncDirectory(dirname(path));
}
