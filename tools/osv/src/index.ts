// @osv-ts/osv: public contract.
export {};
