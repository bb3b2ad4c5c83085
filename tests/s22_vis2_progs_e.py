"""rosinality/stylegan2-pytorch non_leaking.py (adaptive discriminator augmentation) as users
copy it: the 2-D / 3-D transform matrices, the random samplers (log_normal_, uniform_,
normal_, bernoulli_, randint by categories), sample_affine / sample_color, get_padding with
torch.inverse, reflect padding, SYM6 anti-aliasing through upfirdn2d (native path), the
affine grid with grid_sample, apply_color, and AdaptiveAugment.tune; then train.py's
augmented discriminator step. 16x16 images, batch 3."""

import math

from s16_yunjey_progs import Out
from s22_vis2_progs_b import stylegan_modules

SYM6 = (
    0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
    0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
    -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148,
)


def non_leaking(L):
    torch, F = L, L.nn.functional
    upfirdn2d = stylegan_modules(L)["upfirdn2d"]

    def reduce_sum(tensor):  # distributed.py, one process
        return tensor

    class AdaptiveAugment:
        def __init__(self, ada_aug_target, ada_aug_len, update_every, device):
            self.ada_aug_target = ada_aug_target
            self.ada_aug_len = ada_aug_len
            self.update_every = update_every
            self.ada_aug_buf = torch.tensor([0.0, 0.0], device=device)
            self.r_t_stat = 0
            self.ada_aug_p = 0

        @torch.no_grad()
        def tune(self, real_pred):
            ada_aug_data = torch.tensor((torch.sign(real_pred).sum().item(), real_pred.shape[0]),
                                        device=real_pred.device)
            self.ada_aug_buf += reduce_sum(ada_aug_data)
            if self.ada_aug_buf[1] > self.update_every - 1:
                pred_signs, n_pred = self.ada_aug_buf.tolist()
                self.r_t_stat = pred_signs / n_pred
                sign = 1 if self.r_t_stat > self.ada_aug_target else -1
                self.ada_aug_p += sign * n_pred / self.ada_aug_len
                self.ada_aug_p = min(1, max(0, self.ada_aug_p))
                self.ada_aug_buf.mul_(0)
            return self.ada_aug_p

    def translate_mat(t_x, t_y):
        batch = t_x.shape[0]
        mat = torch.eye(3).unsqueeze(0).repeat(batch, 1, 1)
        translate = torch.stack((t_x, t_y), 1)
        mat[:, :2, 2] = translate
        return mat

    def rotate_mat(theta):
        batch = theta.shape[0]
        mat = torch.eye(3).unsqueeze(0).repeat(batch, 1, 1)
        sin_t, cos_t = torch.sin(theta), torch.cos(theta)
        rot = torch.stack((cos_t, -sin_t, sin_t, cos_t), 1).view(batch, 2, 2)
        mat[:, :2, :2] = rot
        return mat

    def scale_mat(s_x, s_y):
        batch = s_x.shape[0]
        mat = torch.eye(3).unsqueeze(0).repeat(batch, 1, 1)
        mat[:, 0, 0] = s_x
        mat[:, 1, 1] = s_y
        return mat

    def translate3d_mat(t_x, t_y, t_z):
        batch = t_x.shape[0]
        mat = torch.eye(4).unsqueeze(0).repeat(batch, 1, 1)
        translate = torch.stack((t_x, t_y, t_z), 1)
        mat[:, :3, 3] = translate
        return mat

    def rotate3d_mat(axis, theta):
        batch = theta.shape[0]
        u_x, u_y, u_z = axis
        eye = torch.eye(3).unsqueeze(0)
        cross = torch.tensor([(0, -u_z, u_y), (u_z, 0, -u_x), (-u_y, u_x, 0)]).unsqueeze(0)
        outer = torch.tensor(axis)
        outer = (outer.unsqueeze(1) * outer).unsqueeze(0)
        sin_t = torch.sin(theta).view(-1, 1, 1)
        cos_t = torch.cos(theta).view(-1, 1, 1)
        rot = cos_t * eye + sin_t * cross + (1 - cos_t) * outer
        eye_4 = torch.eye(4).unsqueeze(0).repeat(batch, 1, 1)
        eye_4[:, :3, :3] = rot
        return eye_4

    def scale3d_mat(s_x, s_y, s_z):
        batch = s_x.shape[0]
        mat = torch.eye(4).unsqueeze(0).repeat(batch, 1, 1)
        mat[:, 0, 0] = s_x
        mat[:, 1, 1] = s_y
        mat[:, 2, 2] = s_z
        return mat

    def luma_flip_mat(axis, i):
        batch = i.shape[0]
        eye = torch.eye(4).unsqueeze(0).repeat(batch, 1, 1)
        axis = torch.tensor(axis + (0,))
        flip = 2 * torch.ger(axis, axis) * i.view(-1, 1, 1)
        return eye - flip

    def saturation_mat(axis, i):
        batch = i.shape[0]
        eye = torch.eye(4).unsqueeze(0).repeat(batch, 1, 1)
        axis = torch.tensor(axis + (0,))
        axis = torch.ger(axis, axis)
        return axis + (eye - axis) * i.view(-1, 1, 1)

    def lognormal_sample(size, mean=0, std=1):
        return torch.empty(size).log_normal_(mean=mean, std=std)

    def category_sample(size, categories):
        category = torch.tensor(categories)
        sample = torch.randint(high=len(categories), size=(size,))
        return category[sample]

    def uniform_sample(size, low, high):
        return torch.empty(size).uniform_(low, high)

    def normal_sample(size, mean=0, std=1):
        return torch.empty(size).normal_(mean, std)

    def bernoulli_sample(size, p):
        return torch.empty(size).bernoulli_(p)

    def random_mat_apply(p, transform, prev, eye):
        size = transform.shape[0]
        select = bernoulli_sample(size, p).view(size, 1, 1)
        select_transform = select * transform + (1 - select) * eye
        return select_transform @ prev

    def sample_affine(p, size, height, width):
        G = torch.eye(3).unsqueeze(0).repeat(size, 1, 1)
        eye = G
        param = category_sample(size, (0, 1))
        G = random_mat_apply(p, scale_mat(1 - 2.0 * param, torch.ones(size)), G, eye)
        param = category_sample(size, (0, 3))
        G = random_mat_apply(p, rotate_mat(-math.pi / 2 * param), G, eye)
        param = uniform_sample(size, -0.125, 0.125)
        param_height = torch.round(param * height) / height
        param_width = torch.round(param * width) / width
        G = random_mat_apply(p, translate_mat(param_width, param_height), G, eye)
        param = lognormal_sample(size, std=0.2 * math.log(2))
        G = random_mat_apply(p, scale_mat(param, param), G, eye)
        p_rot = 1 - math.sqrt(1 - p)
        param = uniform_sample(size, -math.pi, math.pi)
        G = random_mat_apply(p_rot, rotate_mat(-param), G, eye)
        param = lognormal_sample(size, std=0.2 * math.log(2))
        G = random_mat_apply(p, scale_mat(param, 1 / param), G, eye)
        param = uniform_sample(size, -math.pi, math.pi)
        G = random_mat_apply(p_rot, rotate_mat(-param), G, eye)
        param = normal_sample(size, std=0.125)
        G = random_mat_apply(p, translate_mat(param, param), G, eye)
        return G

    def sample_color(p, size):
        C = torch.eye(4).unsqueeze(0).repeat(size, 1, 1)
        eye = C
        axis_val = 1 / math.sqrt(3)
        axis = (axis_val, axis_val, axis_val)
        param = normal_sample(size, std=0.2)
        C = random_mat_apply(p, translate3d_mat(param, param, param), C, eye)
        param = lognormal_sample(size, std=0.5 * math.log(2))
        C = random_mat_apply(p, scale3d_mat(param, param, param), C, eye)
        param = category_sample(size, (0, 1))
        C = random_mat_apply(p, luma_flip_mat(axis, param), C, eye)
        param = uniform_sample(size, -math.pi, math.pi)
        C = random_mat_apply(p, rotate3d_mat(axis, param), C, eye)
        param = lognormal_sample(size, std=1 * math.log(2))
        C = random_mat_apply(p, saturation_mat(axis, param), C, eye)
        return C

    def make_grid(shape, x0, x1, y0, y1, device):
        n, c, h, w = shape
        grid = torch.empty(n, h, w, 3, device=device)
        grid[:, :, :, 0] = torch.linspace(x0, x1, w, device=device)
        grid[:, :, :, 1] = torch.linspace(y0, y1, h, device=device).unsqueeze(-1)
        grid[:, :, :, 2] = 1
        return grid

    def affine_grid(grid, mat):
        n, h, w, _ = grid.shape
        return (grid.view(n, h * w, 3) @ mat.transpose(1, 2)).view(n, h, w, 2)

    def get_padding(G, height, width):
        extreme = G[:, :2, :] @ torch.tensor([(-1.0, -1, 1), (-1, 1, 1), (1, -1, 1), (1, 1, 1)]).t()
        size = torch.tensor((width, height))
        pad_low = (((extreme.min(-1).values + 1) * size).clamp(max=0).abs().ceil()
                   .max(0).values.to(torch.int64).tolist())
        pad_high = ((extreme.max(-1).values * size - size).clamp(min=0).ceil()
                    .max(0).values.to(torch.int64).tolist())
        return pad_low[0], pad_high[0], pad_low[1], pad_high[1]

    def try_sample_affine_and_pad(img, p, pad_k, G=None):
        batch, _, height, width = img.shape
        G_try = G
        while True:
            if G is None:
                G_try = sample_affine(p, batch, height, width)
            pad_x1, pad_x2, pad_y1, pad_y2 = get_padding(torch.inverse(G_try), height, width)
            try:
                img_pad = F.pad(img, (pad_x1 + pad_k, pad_x2 + pad_k, pad_y1 + pad_k, pad_y2 + pad_k),
                                mode="reflect")
            except RuntimeError:
                continue
            break
        return img_pad, G_try, (pad_x1, pad_x2, pad_y1, pad_y2)

    def random_apply_affine(img, p, G=None, antialiasing_kernel=SYM6):
        kernel = antialiasing_kernel
        len_k = len(kernel)
        pad_k = (len_k + 1) // 2
        kernel = torch.as_tensor(kernel)
        kernel = torch.ger(kernel, kernel).to(img)
        kernel_flip = torch.flip(kernel, (0, 1))
        img_pad, G, (pad_x1, pad_x2, pad_y1, pad_y2) = try_sample_affine_and_pad(img, p, pad_k, G)
        p_ux1, p_uy1 = pad_x1, pad_y1
        w_p = img_pad.shape[3] - len_k + 1
        h_p = img_pad.shape[2] - len_k + 1
        h_o, w_o = img.shape[2], img.shape[3]
        img_2x = upfirdn2d(img_pad, kernel_flip, up=2)
        grid = make_grid(img_2x.shape, -2 * p_ux1 / w_o - 1, 2 * (w_p - p_ux1) / w_o - 1,
                         -2 * p_uy1 / h_o - 1, 2 * (h_p - p_uy1) / h_o - 1,
                         device=img_2x.device).to(img_2x)
        grid = affine_grid(grid, torch.inverse(G)[:, :2, :].to(img_2x))
        grid = grid * torch.tensor([w_o / w_p, h_o / h_p], device=grid.device) + torch.tensor(
            [(w_o + 2 * p_ux1) / w_p - 1, (h_o + 2 * p_uy1) / h_p - 1], device=grid.device)
        img_affine = F.grid_sample(img_2x, grid, mode="bilinear", align_corners=False, padding_mode="zeros")
        img_down = upfirdn2d(img_affine, kernel, down=2)
        end_y = -pad_y2 - 1
        if end_y == 0:
            end_y = img_down.shape[2]
        end_x = -pad_x2 - 1
        if end_x == 0:
            end_x = img_down.shape[3]
        return img_down[:, :, pad_y1:end_y, pad_x1:end_x], G

    def apply_color(img, mat):
        batch = img.shape[0]
        img = img.permute(0, 2, 3, 1)
        mat_mul = mat[:, :3, :3].transpose(1, 2).view(batch, 1, 3, 3)
        mat_add = mat[:, :3, 3].view(batch, 1, 1, 3)
        img = img @ mat_mul + mat_add
        return img.permute(0, 3, 1, 2)

    def random_apply_color(img, p, C=None):
        if C is None:
            C = sample_color(p, img.shape[0])
        return apply_color(img, C.to(img)), C

    def augment(img, p, transform_matrix=(None, None)):
        img, G = random_apply_affine(img, p, transform_matrix[0])
        img, C = random_apply_color(img, p, transform_matrix[1])
        return img, (G, C)

    return augment, AdaptiveAugment, sample_affine, sample_color


def ada_augment(L):
    """augment() at p 0.6 / 1.0 / 0 on random images, gradients through it (train.py's
    augmented fake images), AdaptiveAugment.tune with update_every 4."""
    torch = L
    augment, AdaptiveAugment, sample_affine, sample_color = non_leaking(L)
    o = Out()
    with o:
        torch.manual_seed(0)
        G, C = sample_affine(0.8, 3, 16, 16), sample_color(0.8, 3)
        o.print(G.shape, C.shape, G.dtype)
        o.vals += [G, C]
        img = torch.rand(3, 3, 16, 16) * 2 - 1
        for p in (0.6, 1.0, 0):
            out, (G, C) = augment(img, p)
            o.print(p, out.shape, "%.4f %.4f" % (out.mean().item(), out.abs().max().item()))
            # the images' values are compared only where G is the identity (p = 0): float32
            # inverse(G) differs in the last bits between LAPACK builds, and the 144-tap SYM6
            # convolution sums in another order under MKL than under OpenBLAS (a few 1e-6)
            o.vals += [G, C] + ([out] if p == 0 else [])
        o.tryit(lambda: augment(img.double(), 1.0, (G.double(), C.double())))  # a user's slip
        x = img.clone().requires_grad_()
        out, _ = augment(x, 0.5, (G, None))
        out.square().sum().backward()
        o.print("grad %.4f" % x.grad.norm().item())
        o.vals.append(x.grad)
        ada = AdaptiveAugment(0.6, 500 * 1000, 4, "cpu")
        for step in range(5):
            real_pred = torch.randn(3, 1)
            ada_aug_p = ada.tune(real_pred)
            o.print(step, ada_aug_p, ada.r_t_stat, ada.ada_aug_buf.tolist())
    return o.lines, o.vals
