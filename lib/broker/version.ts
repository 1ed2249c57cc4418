/** The package version, reported in $SYS/broker/version. */
export const VERSION = '0.1.0'
