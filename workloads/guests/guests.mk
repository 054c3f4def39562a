# workloads/guests: freestanding guest programs for kvmlite (included from
# kvmlite/module.mk). Built with their own flags, never with sanitizers:
# they run inside the VM, flat binaries linked at KL_IMAGE_GPA.
GUEST_DIR    := workloads/guests
GUEST_OUT    := $(B)/guests
GUEST_CC     ?= gcc
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-fcf-protection=none -I$(GUEST_DIR)
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-T $(GUEST_DIR)/guest.ld
GUEST_COMMON := start.S glib.c wl.c

# One flat binary per program; PROGRAM.c plus the common objects.
GUEST_PROGS := workload
GUEST_BINS  := $(GUEST_PROGS:%=$(GUEST_OUT)/%.bin)

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.c $(wildcard $(GUEST_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.elf: $(GUEST_OUT)/%.o $(patsubst %,$(GUEST_OUT)/%.o,$(basename $(GUEST_COMMON))) $(GUEST_DIR)/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) $(filter %.o,$^) -lgcc -o $@

$(GUEST_OUT)/%.bin: $(GUEST_OUT)/%.elf
	objcopy -O binary $< $@

.PRECIOUS: $(GUEST_OUT)/%.o $(GUEST_OUT)/%.elf

guests: $(GUEST_BINS)
.PHONY: guests
