/// <reference types="vite/client" />
import type { LabApi } from '../shared/lab-api'

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

declare global {
  interface Window {
    /** Present in the Electron door only (exposed by the preload). */
    lab?: LabApi
  }
}
