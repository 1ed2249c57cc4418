export * from './errors.js'
export * from './assert-never.js'
export * from './ids.js'
export * from './clock.js'
