/*
 * idle_elf.S - the idle program (idle.c, built static by the Makefile)
 * as bytes inside the core: container.c execs it from a memfd, so the
 * core needs no file beside it wherever it is installed or loaded.
 */
  .section .rodata
  .balign 16
  .global nslab_idle_elf
  .hidden nslab_idle_elf
nslab_idle_elf:
  .incbin IDLE_PATH
  .global nslab_idle_elf_end
  .hidden nslab_idle_elf_end
nslab_idle_elf_end:
  .section .note.GNU-stack,"",%progbits
