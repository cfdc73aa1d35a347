/** SPEC §1: letters and digits of any script, space, and _ | - ' , — 1 to 64 characters. */
const NAME_CHARS = /^[\p{L}\p{N}\p{M} _|\-',]+$/u;
export const PATH_SEPARATOR = '__';

export type NameProblem = 'required' | 'tooLong' | 'invalidChars' | 'edgeSpace' | 'separator';

/** Why a proposed org or group name is not allowed, or null when it is fine. */
export function checkName(name: string): NameProblem | null {
  if (name.length === 0) return 'required';
  if ([...name].length > 64) return 'tooLong';
  if (name !== name.trim()) return 'edgeSpace';
  if (!NAME_CHARS.test(name)) return 'invalidChars';
  if (name.includes(PATH_SEPARATOR)) return 'separator';
  return null;
}

export function joinPath(parentPath: string | null, name: string): string {
  return parentPath ? `${parentPath}${PATH_SEPARATOR}${name}` : name;
}
