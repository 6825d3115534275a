/** Types for scripts/build-wasm-tiny.mjs (used by the test that checks the committed binary). */
export declare const TINY_TARGET: string
export declare const TINY_ASC_FLAGS: string[]
export declare function compileTiny(options?: { relaxed?: boolean }): Promise<Buffer>
export declare function tinyModuleText(binary: Buffer, relaxedBinary: Buffer): string
export declare function buildTinyModuleText(): Promise<string>
