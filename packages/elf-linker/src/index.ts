// @osv-ts/elf-linker: public contract.
export {};
