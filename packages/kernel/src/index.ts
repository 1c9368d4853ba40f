// @osv-ts/kernel: public contract.
export {};
