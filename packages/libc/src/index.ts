// @osv-ts/libc: public contract.
export {};
