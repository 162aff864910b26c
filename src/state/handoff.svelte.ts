// What one page hands another in this tab: the Train page's "Generate with this model" puts the
// run's decoder here and opens the Generate page, which offers it as a model.

export interface HandedModel {
  /** The file name the receipt names the model by. */
  name: string
  bytes: Uint8Array
  label: string
}

export const handoff = $state<{ model: HandedModel | null }>({ model: null })
