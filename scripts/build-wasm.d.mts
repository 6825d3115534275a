/** Types for scripts/build-wasm.mjs (used by the test that checks the committed binary). */
export declare const ASC_FLAGS: string[]
export declare function compileKernels(options?: { relaxed?: boolean }): Promise<Buffer>
export declare function moduleText(binary: Buffer, relaxedBinary: Buffer): string
export declare function buildModuleText(): Promise<string>
