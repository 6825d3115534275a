export interface Finding {
  file: string
  line: number
  message: string
}
export function checkSource(code: string, file?: string, lineOffset?: number): Finding[]
export function checkFile(file: string): Finding[]
export function checkTree(dirs: string[]): { files: string[]; findings: Finding[] }
