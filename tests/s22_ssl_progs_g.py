"""facebookresearch/dino's training (main_dino.py train_dino / train_one_epoch) and its
pieces on their own, scaled down, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s22_ssl.py, with the modules of s22_ssl_progs._dino_modules
(vision_transformer.py and utils.py)."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s22_ssl_progs import _crops, _dino_modules


def dino_train(L):
    """main_dino.py train_dino / train_one_epoch on a tiny ViT (16x16 images, patch 4, dim 32,
    2 blocks), two global and two local (8x8) crops, AdamW on get_params_groups, lr / wd /
    momentum cosine schedules, clip_gradients, cancel_gradients_last_layer and the EMA
    teacher."""
    m = _dino_modules(L)
    with Out() as o:
        L.manual_seed(0)
        np.random.seed(0)
        epochs, niter, out_dim = 3, 2, 64
        student = m["vit_tiny"](img_size=[16], patch_size=4, drop_path_rate=0.1)
        teacher = m["vit_tiny"](img_size=[16], patch_size=4)
        embed_dim = student.embed_dim
        student = m["MultiCropWrapper"](student, m["DINOHead"](
            embed_dim, out_dim, use_bn=False, norm_last_layer=True, hidden_dim=48,
            bottleneck_dim=16))
        teacher = m["MultiCropWrapper"](teacher, m["DINOHead"](
            embed_dim, out_dim, False, hidden_dim=48, bottleneck_dim=16))
        teacher_without_ddp = teacher
        msg = teacher_without_ddp.load_state_dict(student.state_dict())
        o.print(msg)
        for p in teacher.parameters():
            p.requires_grad = False
        o.print("Student and Teacher are built: they are both vit_tiny network.")
        o.print(student.head)
        o.print(sum(p.numel() for p in student.parameters() if p.requires_grad))
        dino_loss = m["DINOLoss"](out_dim, 2 + 2, 0.04, 0.07, 2, epochs)
        o.print(dino_loss.teacher_temp_schedule.round(4).tolist())
        params_groups = m["get_params_groups"](student)
        o.print([len(g['params']) for g in params_groups])
        optimizer = L.optim.AdamW(params_groups)
        lr_schedule = m["cosine_scheduler"](5e-4 * 4 / 256., 1e-6, epochs, niter,
                                            warmup_epochs=1)
        wd_schedule = m["cosine_scheduler"](0.04, 0.4, epochs, niter)
        momentum_schedule = m["cosine_scheduler"](0.996, 1, epochs, niter)
        o.print([round(float(v), 8) for v in lr_schedule])
        o.print("Loss, optimizer and schedulers ready.")
        for epoch in range(epochs):
            for it in range(niter):
                images = _crops(L, 4, 10 * epoch + it)
                it = niter * epoch + it
                for i, param_group in enumerate(optimizer.param_groups):
                    param_group["lr"] = lr_schedule[it]
                    if i == 0:
                        param_group["weight_decay"] = wd_schedule[it]
                teacher_output = teacher(images[:2])
                student_output = student(images)
                loss = dino_loss(student_output, teacher_output, epoch)
                if not math.isfinite(loss.item()):
                    o.print("Loss is {}, stopping training".format(loss.item()))
                optimizer.zero_grad()
                loss.backward()
                param_norms = m["clip_gradients"](student, 0.3)
                m["cancel_gradients_last_layer"](epoch, student, 1)
                optimizer.step()
                with L.no_grad():
                    mom = momentum_schedule[it]
                    for param_q, param_k in zip(student.parameters(),
                                                teacher_without_ddp.parameters()):
                        param_k.data.mul_(mom).add_((1 - mom) * param_q.detach().data)
                o.print(f"ep {epoch} it {it} loss {loss.item():.4f} "
                        f"lr {optimizer.param_groups[0]['lr']:.3e} "
                        f"wd {optimizer.param_groups[0]['weight_decay']:.4f} "
                        f"norms {len(param_norms)} {max(param_norms):.3e}")
                o.print(type(optimizer.param_groups[0]["lr"]).__name__,
                        student_output.shape, teacher_output.shape)
                o.vals += [loss, L.tensor(param_norms), dino_loss.center]
        o.print(dino_loss.center.shape, dino_loss.center.requires_grad,
                list(dict(dino_loss.named_buffers())))
        last = student.head.last_layer
        o.print(last.weight_g.requires_grad, last.weight_g.shape, last.weight_v.shape,
                last.weight_v.grad is None)
        o.vals += [p for p in student.parameters()] + [p for p in teacher.parameters()]
        x = _crops(L, 2, 99, sizes=(16,))[0]
        teacher.eval()
        attn = teacher.backbone.get_last_selfattention(x)
        inter = teacher.backbone.get_intermediate_layers(x, n=2)
        o.print(attn.shape, len(inter), inter[0].shape)
        o.vals += [attn] + inter
    return o.done()


def dino_pieces(L):
    """The DINO pieces on their own: trunc_normal_ against nn.init.trunc_normal_'s shape,
    drop_path in training, the state_dict keys of a weight-normed head, MultiCropWrapper's
    crop grouping, a local-crop forward through interpolate_pos_encoding."""
    m = _dino_modules(L)
    with Out() as o:
        L.manual_seed(3)
        w = L.empty(5, 7)
        m["trunc_normal_"](w, std=.02)
        o.print(w.abs().max().item() <= 0.04, w.dtype)
        w2 = L.empty(300)
        m["trunc_normal_"](w2, mean=0., std=1., a=-2., b=2.)
        o.print(round(w2.min().item(), 4) >= -2.0)
        o.vals += [w, w2]
        w3 = L.empty(4, 4)
        m["trunc_normal_"](w3, mean=5., std=1., a=-2., b=2.)
        o.vals += [w3]
        x = L.ones(4, 3, 2)
        o.vals += [m["drop_path"](x, 0.5, True), m["drop_path"](x, 0.5, False)]
        head = m["DINOHead"](8, 10, hidden_dim=12, bottleneck_dim=6, nlayers=2, use_bn=True)
        o.print(list(head.state_dict().keys()))
        o.print(head.last_layer.weight_g.shape, head.last_layer.weight_v.shape)
        o.print([n for n, p in head.named_parameters() if p.requires_grad])
        head.train()
        y = head(L.randn(5, 8))
        o.vals += [y]
        y.sum().backward()
        o.print(head.last_layer.weight_g.grad, head.last_layer.weight_v.grad.shape)
        crops = [L.zeros(1, 3, 16, 16), L.zeros(1, 3, 16, 16), L.zeros(1, 3, 8, 8)]
        uc = L.unique_consecutive(L.tensor([inp.shape[-1] for inp in crops]),
                                  return_counts=True)
        o.print(uc, L.cumsum(uc[1], 0))
        e = L.empty(0)
        o.print(e, e.shape, L.cat((e, L.ones(2, 3))).shape)
        vit = m["vit_tiny"](img_size=[16], patch_size=4)
        loc = _crops(L, 3, 5, sizes=(8,))[0]
        pe = vit.interpolate_pos_encoding(vit.prepare_tokens(_crops(L, 1, 6, sizes=(16,))[0]),
                                          16, 16)
        o.print(pe is vit.pos_embed)
        out = vit(loc)
        o.print(out.shape)
        (out * L.linspace(-1, 1, 32)).sum().backward()
        o.vals += [out, vit.pos_embed.grad, vit.cls_token.grad]
    return o.done()
