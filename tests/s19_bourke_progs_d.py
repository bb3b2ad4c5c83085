# ruff: noqa: E501 - the notebooks' f-strings, as users type them
"""mrdbourke/pytorch-deep-learning: 08_pytorch_paper_replicating.ipynb (ViT replicated piece by
piece: the patching Conv2d + Flatten, class token and position embedding parameters,
MultiheadSelfAttentionBlock, MLPBlock, TransformerEncoderBlock, the comparison with
nn.TransformerEncoderLayer, the full ViT and a few training steps with Adam and weight decay)
as users type it, at small sizes (32x32 images, patch 8, embedding 16, 4 heads)."""

import numpy as np
from s16_yunjey_progs import Out


def vit(L):
    nn = L.nn
    with Out() as o:
        p = o.print

        def set_seeds(seed: int = 42):
            L.manual_seed(seed)
            L.cuda.manual_seed(seed)

        rng = np.random.default_rng(8)
        image = L.from_numpy(rng.random((3, 32, 32), dtype=np.float32))
        label = 1
        class_names = ["pizza", "steak", "sushi"]
        height, width = 32, 32
        color_channels = 3
        patch_size = 8
        number_of_patches = int((height * width) / patch_size**2)
        p(f"Number of patches (N) with image height (H={height}), width (W={width}) and patch size (P={patch_size}): {number_of_patches}")
        embedding_layer_input_shape = (height, width, color_channels)
        embedding_layer_output_shape = (number_of_patches, patch_size**2 * color_channels)
        p(f"Input shape (single 2D image): {embedding_layer_input_shape}")
        p(f"Output shape (single 2D image flattened into patches): {embedding_layer_output_shape}")
        image_permuted = image.permute(1, 2, 0)
        p(image_permuted[:patch_size, :, :].shape, class_names[label])
        img_size = 32
        num_patches = img_size / patch_size
        assert img_size % patch_size == 0, "Image size must be divisible by patch size"
        p(f"Number of patches per row: {num_patches}\nPatch size: {patch_size} pixels x {patch_size} pixels")
        set_seeds()
        conv2d = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=patch_size,
                           stride=patch_size, padding=0)
        image_out_of_conv = conv2d(image.unsqueeze(0))
        p(image_out_of_conv.shape)
        random_indexes = [0, 3, 7]
        p(f"Showing random convolutional feature maps from indexes: {random_indexes}")
        single_feature_map = image_out_of_conv[:, 0, :, :]
        p(single_feature_map.shape, single_feature_map.requires_grad)
        flatten = nn.Flatten(start_dim=2, end_dim=3)
        p(flatten)
        image_out_of_conv_flattened = flatten(image_out_of_conv)
        p(f"Flattened image feature map shape: {image_out_of_conv_flattened.shape}")
        image_out_of_conv_flattened_reshaped = image_out_of_conv_flattened.permute(0, 2, 1)
        p(f"Patch embedding sequence shape: {image_out_of_conv_flattened_reshaped.shape} -> [batch_size, num_patches, embedding_size]")
        single_flattened_feature_map = image_out_of_conv_flattened_reshaped[:, :, 0]
        p(single_flattened_feature_map.shape, single_flattened_feature_map.detach().numpy().dtype)
        o.vals.append(single_flattened_feature_map)

        class PatchEmbedding(nn.Module):
            def __init__(self, in_channels: int = 3, patch_size: int = 16,
                         embedding_dim: int = 768):
                super().__init__()
                self.patch_size = patch_size
                self.patcher = nn.Conv2d(in_channels=in_channels, out_channels=embedding_dim,
                                         kernel_size=patch_size, stride=patch_size, padding=0)
                self.flatten = nn.Flatten(start_dim=2, end_dim=3)

            def forward(self, x):
                image_resolution = x.shape[-1]
                assert image_resolution % self.patch_size == 0, f"Input image size must be divisble by patch size, image shape: {image_resolution}, patch size: {self.patch_size}"
                x_patched = self.patcher(x)
                x_flattened = self.flatten(x_patched)
                return x_flattened.permute(0, 2, 1)

        set_seeds()
        patchify = PatchEmbedding(in_channels=3, patch_size=8, embedding_dim=16)
        p(f"Input image shape: {image.unsqueeze(0).shape}")
        patch_embedded_image = patchify(image.unsqueeze(0))
        p(f"Output patch embedding shape: {patch_embedded_image.shape}")
        o.tryit(lambda: patchify(L.randn(1, 3, 30, 30)).shape)
        batch_size = patch_embedded_image.shape[0]
        embedding_dimension = patch_embedded_image.shape[-1]
        class_token = nn.Parameter(L.ones(batch_size, 1, embedding_dimension), requires_grad=True)
        p(class_token[:, :, :10])
        p(f"Class token shape: {class_token.shape} -> [batch_size, number_of_tokens, embedding_dimension]")
        patch_embedded_image_with_class_embedding = L.cat((class_token, patch_embedded_image), dim=1)
        p(f"Sequence of patch embeddings with class token prepended shape: {patch_embedded_image_with_class_embedding.shape} -> [batch_size, number_of_patches, embedding_dimension]")
        position_embedding = nn.Parameter(L.ones(1, number_of_patches + 1, embedding_dimension),
                                          requires_grad=True)
        p(position_embedding[:, :3, :5], position_embedding.shape)
        patch_and_position_embedding = patch_embedded_image_with_class_embedding + position_embedding
        p(f"Patch embeddings, class token prepended and positional embeddings added shape: {patch_and_position_embedding.shape} -> [batch_size, number_of_patches, embedding_dimension]")
        p(type(patch_and_position_embedding.grad_fn).__name__)
        o.vals.append(patch_and_position_embedding)

        class MultiheadSelfAttentionBlock(nn.Module):
            def __init__(self, embedding_dim: int = 768, num_heads: int = 12,
                         attn_dropout: float = 0):
                super().__init__()
                self.layer_norm = nn.LayerNorm(normalized_shape=embedding_dim)
                self.multihead_attn = nn.MultiheadAttention(embed_dim=embedding_dim,
                                                            num_heads=num_heads,
                                                            dropout=attn_dropout,
                                                            batch_first=True)

            def forward(self, x):
                x = self.layer_norm(x)
                attn_output, _ = self.multihead_attn(query=x, key=x, value=x, need_weights=False)
                return attn_output

        class MLPBlock(nn.Module):
            def __init__(self, embedding_dim: int = 768, mlp_size: int = 3072,
                         dropout: float = 0.1):
                super().__init__()
                self.layer_norm = nn.LayerNorm(normalized_shape=embedding_dim)
                self.mlp = nn.Sequential(
                    nn.Linear(in_features=embedding_dim, out_features=mlp_size),
                    nn.GELU(), nn.Dropout(p=dropout),
                    nn.Linear(in_features=mlp_size, out_features=embedding_dim),
                    nn.Dropout(p=dropout))

            def forward(self, x):
                x = self.layer_norm(x)
                x = self.mlp(x)
                return x

        class TransformerEncoderBlock(nn.Module):
            def __init__(self, embedding_dim: int = 768, num_heads: int = 12,
                         mlp_size: int = 3072, mlp_dropout: float = 0.1,
                         attn_dropout: float = 0):
                super().__init__()
                self.msa_block = MultiheadSelfAttentionBlock(embedding_dim=embedding_dim,
                                                             num_heads=num_heads,
                                                             attn_dropout=attn_dropout)
                self.mlp_block = MLPBlock(embedding_dim=embedding_dim, mlp_size=mlp_size,
                                          dropout=mlp_dropout)

            def forward(self, x):
                x = self.msa_block(x) + x
                x = self.mlp_block(x) + x
                return x

        set_seeds()
        multihead_self_attention_block = MultiheadSelfAttentionBlock(embedding_dim=16, num_heads=4)
        patched_image_through_msa_block = multihead_self_attention_block(patch_and_position_embedding)
        p(f"Input shape of MSA block: {patch_and_position_embedding.shape}")
        p(f"Output shape MSA block: {patched_image_through_msa_block.shape}")
        p(multihead_self_attention_block)
        o.vals.append(patched_image_through_msa_block)
        mlp_block = MLPBlock(embedding_dim=16, mlp_size=32, dropout=0.1)
        patched_image_through_mlp_block = mlp_block(patched_image_through_msa_block)
        p(f"Input shape of MLP block: {patched_image_through_msa_block.shape}")
        p(f"Output shape MLP block: {patched_image_through_mlp_block.shape}")
        o.vals.append(patched_image_through_mlp_block)
        transformer_encoder_block = TransformerEncoderBlock(embedding_dim=16, num_heads=4,
                                                            mlp_size=32)
        p(transformer_encoder_block)
        transformer_encoder_block.eval()
        with L.inference_mode():
            out = transformer_encoder_block(L.randn(size=(2, 17, 16)))
        p(out.shape)
        o.vals.append(out)
        o.tryit(lambda: MultiheadSelfAttentionBlock(embedding_dim=16, num_heads=3))
        torch_transformer_encoder_layer = nn.TransformerEncoderLayer(
            d_model=16, nhead=4, dim_feedforward=32, dropout=0.1, activation="gelu",
            batch_first=True, norm_first=True)
        p(torch_transformer_encoder_layer)
        torch_transformer_encoder = nn.TransformerEncoder(
            encoder_layer=torch_transformer_encoder_layer, num_layers=2)
        torch_transformer_encoder.eval()
        with L.inference_mode():
            out2 = torch_transformer_encoder(L.randn(2, 17, 16))
        p(out2.shape, sum(p_.numel() for p_ in torch_transformer_encoder.parameters()))
        o.vals.append(out2)

        class ViT(nn.Module):
            def __init__(self, img_size: int = 224, in_channels: int = 3, patch_size: int = 16,
                         num_transformer_layers: int = 12, embedding_dim: int = 768,
                         mlp_size: int = 3072, num_heads: int = 12, attn_dropout: float = 0,
                         mlp_dropout: float = 0.1, embedding_dropout: float = 0.1,
                         num_classes: int = 1000):
                super().__init__()
                assert img_size % patch_size == 0, f"Image size must be divisible by patch size, image size: {img_size}, patch size: {patch_size}."
                self.num_patches = (img_size * img_size) // patch_size**2
                self.class_embedding = nn.Parameter(data=L.randn(1, 1, embedding_dim),
                                                    requires_grad=True)
                self.position_embedding = nn.Parameter(
                    data=L.randn(1, self.num_patches + 1, embedding_dim), requires_grad=True)
                self.embedding_dropout = nn.Dropout(p=embedding_dropout)
                self.patch_embedding = PatchEmbedding(in_channels=in_channels,
                                                      patch_size=patch_size,
                                                      embedding_dim=embedding_dim)
                self.transformer_encoder = nn.Sequential(*[
                    TransformerEncoderBlock(embedding_dim=embedding_dim, num_heads=num_heads,
                                            mlp_size=mlp_size, mlp_dropout=mlp_dropout)
                    for _ in range(num_transformer_layers)])
                self.classifier = nn.Sequential(
                    nn.LayerNorm(normalized_shape=embedding_dim),
                    nn.Linear(in_features=embedding_dim, out_features=num_classes))

            def forward(self, x):
                batch_size = x.shape[0]
                class_token = self.class_embedding.expand(batch_size, -1, -1)
                x = self.patch_embedding(x)
                x = L.cat((class_token, x), dim=1)
                x = self.position_embedding + x
                x = self.embedding_dropout(x)
                x = self.transformer_encoder(x)
                x = self.classifier(x[:, 0])
                return x

        set_seeds()
        o.tryit(lambda: ViT(img_size=30, patch_size=8))
        random_image_tensor = L.randn(1, 3, 32, 32)
        vit = ViT(img_size=32, patch_size=8, num_transformer_layers=2, embedding_dim=16,
                  mlp_size=32, num_heads=4, num_classes=len(class_names))
        logits = vit(random_image_tensor)
        p(logits.shape)
        p(sum(p_.numel() for p_ in vit.parameters()),
          sum(p_.numel() for p_ in vit.parameters() if p_.requires_grad))
        p([n for n, _ in vit.named_parameters()][:8])
        o.vals.append(logits)
        X = L.from_numpy(rng.random((6, 3, 32, 32), dtype=np.float32))
        y = L.from_numpy(rng.integers(0, 3, 6))
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(X, y), batch_size=3,
                                         shuffle=True)
        optimizer = L.optim.Adam(params=vit.parameters(), lr=3e-3, betas=(0.9, 0.999),
                                 weight_decay=0.3)
        loss_fn = nn.CrossEntropyLoss()
        set_seeds()
        for epoch in range(2):
            vit.train()
            train_loss, train_acc = 0, 0
            for batch, (Xb, yb) in enumerate(loader):
                y_pred = vit(Xb)
                loss = loss_fn(y_pred, yb)
                train_loss += loss.item()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                y_pred_class = L.argmax(L.softmax(y_pred, dim=1), dim=1)
                train_acc += (y_pred_class == yb).sum().item() / len(y_pred)
            p(f"Epoch: {epoch+1} | train_loss: {train_loss / len(loader):.4f} | train_acc: {train_acc / len(loader):.4f}")
        vit.eval()
        with L.inference_mode():
            pred = L.softmax(vit(X[:2]), dim=1)
        p(pred.shape, pred.argmax(dim=1).shape)
        o.vals += [pred, vit.class_embedding, vit.classifier[1].weight]
    return o.done()
