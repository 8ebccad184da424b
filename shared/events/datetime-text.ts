// Python's `datetime.isoformat()`: a fraction of 1-6 digits and an optional offset (seconds allowed since 3.7).
const ISO_DATETIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$/;

/** Whether `text` is a datetime as Octue writes them; an offset is optional because Octue's own fixtures omit it. */
export function isIsoDatetime(text: string): boolean {
  return ISO_DATETIME.test(text);
}

/**
 * Formats `date` as Python's `datetime.now(timezone.utc).isoformat()` does, e.g. `2024-04-11T09:26:39.144000+00:00`.
 * JavaScript dates hold milliseconds, so the last three fraction digits are always zero; like Python, the fraction is
 * left out entirely when it is zero.
 */
export function formatPythonUtcIsoformat(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const seconds = iso.slice(0, 19);
  const milliseconds = iso.slice(20, 23);
  const fraction = milliseconds === "000" ? "" : `.${milliseconds}000`;
  return `${seconds}${fraction}+00:00`;
}
