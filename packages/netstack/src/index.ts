// @osv-ts/netstack: public contract.
export {};
