// @osv-ts/vfs: public contract.
export {};
