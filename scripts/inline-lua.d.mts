// Types of scripts/inline-lua.mjs, for the test that checks the generated module is current.
export declare const SCRIPTS_DIR: string;
export declare const GENERATED_FILE: string;
export declare function generateLuaSources(dir?: string): string;
export declare function writeLuaSources(): string;
