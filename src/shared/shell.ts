/**
 * Remote shell: the one quoting helper for every remote command, and the shell snippets more
 * than one remote command needs. Whatever text goes into a command line on a host (paths, URLs,
 * names, nonces) goes through `shq`.
 */

/** Quote a string for POSIX sh as one word. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The kernel's id of the current boot: a new one after every reboot. */
export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** The start time (clock ticks since boot) of the process whose pid `pidExpr` gives: pid reuse changes it. */
export function processStartTime(pidExpr: string): string {
  return `cut -d' ' -f22 /proc/${pidExpr}/stat 2>/dev/null`;
}

/** Shell lines that make `dir` exist and be writable by the SSH user (sudo for the part under /var/lib). */
export function ensureWritableDir(dir: string): string {
  return [
    `d=${shq(dir)}`,
    `if [ ! -d "$d" ] || [ ! -w "$d" ]; then`,
    `  { sudo -n mkdir -p "$d" && sudo -n chown "$(id -u)" "$d"; } || { echo "dcos-patch: cannot create $d (needs passwordless sudo)" >&2; exit 70; }`,
    'fi',
  ].join('\n');
}

/** The last lines of a systemd unit's journal (the runbook's first troubleshooting command). */
export function journalTail(unit: string, lines = 50): string {
  // A plain unit name stays readable in the diagnostics; anything else is quoted.
  const word = /^[\w@.-]+$/.test(unit) ? unit : shq(unit);
  return `sudo -n journalctl -u ${word} --no-pager -n ${lines}`;
}

/**
 * Download a script from `url` into `<dir>/<name>` (through `<name>.part`, so a cut download never
 * looks complete) and note the URL in `<dir>/url`. On failure it prints `curl-exit=<rc>` or
 * `not-a-script=<first bytes>` and exits 0, leaving the caller's parser to say what went wrong.
 */
export function fetchScriptLines(dir: string, name: string, url: string): string[] {
  const file = `${dir}/${name}`;
  const part = `${file}.part`;
  return [
    `curl -fsS --connect-timeout 10 --max-time 120 -o ${shq(part)} ${shq(url)}`,
    'rc=$?; if [ $rc -ne 0 ]; then echo "curl-exit=$rc"; exit 0; fi',
    `if [ "$(head -c 2 ${shq(part)})" != '#!' ]; then echo "not-a-script=$(head -c 80 ${shq(part)} | tr -d '\\n')"; exit 0; fi`,
    `mv -f ${shq(part)} ${shq(file)} && printf '%s\\n' ${shq(url)} > ${shq(`${dir}/url`)}`,
  ];
}
